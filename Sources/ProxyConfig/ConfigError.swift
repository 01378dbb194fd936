/// One problem in a configuration file, located to the character.
/// Its description is the `PATH:LINE:COLUMN: message` form of SPEC §1.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based.
    public var line: Int
    /// 1-based, counted in Unicode scalars (a tab counts as one column).
    public var column: Int
    public var message: String

    /// Control characters in `message` (from a quoted value, say) are written
    /// as escapes, so that each error stays on one line of stderr.
    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = Self.escapingControlCharacters(message)
    }

    init(path: String, at location: SourceLocation, _ message: String) {
        self.init(path: path, line: location.line, column: location.column, message: message)
    }

    public var description: String {
        "\(path):\(line):\(column): \(message)"
    }

    private static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": escaped += "\\r"
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                escaped += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// Every problem found in one configuration file, in file order.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line, ready for stderr.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
