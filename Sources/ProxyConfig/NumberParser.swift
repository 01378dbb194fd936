enum NumberParser {
    /// Plain decimal digits only: no sign, no separators. nil if not a number or too large for Int.
    static func wholeNumber(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return nil
        }
        return Int(text)
    }

    static func integer(_ text: String) throws(InvalidValue) -> Int {
        guard let number = wholeNumber(text) else {
            throw InvalidValue("expected a whole number, got '\(text)'")
        }
        return number
    }
}
