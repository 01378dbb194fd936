/// One problem in a configuration file, located to the character.
/// Its description is the `PATH:LINE:COLUMN: message` form of SPEC §1.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// 1-based.
    public var line: Int
    /// 1-based, counted in Unicode scalars (a tab counts as one column).
    public var column: Int
    public var message: String

    public init(path: String, line: Int, column: Int, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    init(path: String, at location: SourceLocation, _ message: String) {
        self.init(path: path, line: location.line, column: location.column, message: message)
    }

    public var description: String {
        "\(path):\(line):\(column): \(message)"
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
