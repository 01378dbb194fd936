/// Durations such as `250ms`, `2s`, `1m`, `1h`, in milliseconds. The unit is required.
enum DurationParser {
    /// Longest suffix first, so that `ms` is not read as `m`.
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
    ]

    /// A year: longer than any timeout means, short enough that adding it to
    /// a clock reading can never overflow.
    static let longest: Int64 = 8_760 * 3_600_000

    static func milliseconds(_ text: String) throws(InvalidValue) -> Int64 {
        let tooLong = InvalidValue("duration '\(text)' is too long: at most \(format(longest))")
        for unit in units where text.hasSuffix(unit.suffix) {
            switch NumberParser.read(text.dropLast(unit.suffix.count)) {
            case .value(let count):
                let (total, overflow) = Int64(count).multipliedReportingOverflow(by: unit.milliseconds)
                guard !overflow, total <= longest else { throw tooLong }
                return total
            case .tooLarge:
                throw tooLong
            case .notANumber:
                break
            }
        }
        throw InvalidValue("invalid duration '\(text)': expected a whole number and a unit (ms, s, m, h), e.g. 250ms or 2s")
    }

    /// The shortest exact spelling, e.g. 90000 → `90s`, 120000 → `2m`.
    static func format(_ milliseconds: Int64) -> String {
        for unit in units.reversed() where milliseconds != 0 && milliseconds % unit.milliseconds == 0 {
            return "\(milliseconds / unit.milliseconds)\(unit.suffix)"
        }
        return "\(milliseconds)ms"
    }
}
