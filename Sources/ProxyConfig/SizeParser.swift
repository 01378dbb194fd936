/// Sizes in bytes: `512`, `16k`, `4m` (k = 1024, m = 1024 * 1024; either case).
enum SizeParser {
    private static let units: [(suffix: Character, bytes: Int)] = [("k", 1024), ("m", 1024 * 1024)]

    static func bytes(_ text: String) throws(InvalidValue) -> Int {
        var digits = Substring(text)
        var multiplier = 1
        if let last = text.last, let unit = units.first(where: { $0.suffix == Character(last.lowercased()) }) {
            digits = digits.dropLast()
            multiplier = unit.bytes
        }
        let tooLarge = InvalidValue("size '\(text)' is too large")
        switch NumberParser.read(digits) {
        case .value(let count):
            let (total, overflow) = count.multipliedReportingOverflow(by: multiplier)
            guard !overflow else { throw tooLarge }
            return total
        case .tooLarge:
            throw tooLarge
        case .notANumber:
            throw InvalidValue("invalid size '\(text)': expected a number of bytes, optionally followed by k or m, e.g. 16k")
        }
    }

    /// The shortest exact spelling, e.g. 16384 → `16k`.
    static func format(_ bytes: Int) -> String {
        for unit in units.reversed() where bytes != 0 && bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.suffix)"
        }
        return "\(bytes)"
    }
}
