enum NumberParser {
    /// What a word of plain decimal digits (no sign, no separators) says.
    enum Reading {
        case value(Int)
        /// All digits, but more than an Int holds: worth saying so, rather than "not a number".
        case tooLarge
        case notANumber
    }

    static func read(_ text: some StringProtocol) -> Reading {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return .notANumber
        }
        return Int(text).map(Reading.value) ?? .tooLarge
    }

    /// The number, or nil if `text` is not one or is too large for Int.
    static func wholeNumber(_ text: some StringProtocol) -> Int? {
        guard case .value(let number) = read(text) else { return nil }
        return number
    }

    static func integer(_ text: String) throws(InvalidValue) -> Int {
        switch read(text) {
        case .value(let number): return number
        case .tooLarge: throw InvalidValue("number '\(text)' is too large")
        case .notANumber: throw InvalidValue("expected a whole number, got '\(text)'")
        }
    }
}
