/// Reads the arguments of one directive (or section header) left to right,
/// converting and range-checking each, and turns every problem into a
/// `ConfigError` that names the directive and points at the offending token.
struct ArgumentReader {
    let path: String
    /// The directive or section keyword; its arguments follow it.
    let directive: Token
    private let arguments: ArraySlice<Token>
    private var position: Int
    /// Keyword options already read, to reject `weight 2 weight 3`.
    private var seenOptions: Set<String> = []
    /// Where the most recently read argument stood.
    private(set) var lastArgumentLocation: SourceLocation
    /// Errors of values read with `keepingError`, for the caller to report
    /// with whatever else the line holds.
    private(set) var keptErrors: [ConfigError] = []

    init(path: String, tokens: [Token]) {
        self.path = path
        self.directive = tokens[0]
        self.arguments = tokens.dropFirst()
        self.position = arguments.startIndex
        self.lastArgumentLocation = directive.location
    }

    /// An error about this directive: `NAME: message`, at `token` or else at the directive.
    func error(_ message: String, at token: Token? = nil) -> ConfigError {
        ConfigError(path: path, at: (token ?? directive).location, "\(directive.text): \(message)")
    }

    // MARK: Plain tokens

    /// The next argument; `what` names it in the error when it is missing.
    mutating func next(_ what: String) throws(ConfigError) -> Token {
        guard position < arguments.endIndex else {
            throw error("missing \(what)")
        }
        let token = arguments[position]
        position += 1
        lastArgumentLocation = token.location
        return token
    }

    /// Reads the next argument only if it is exactly `keyword`.
    mutating func consume(_ keyword: String) -> Bool {
        guard position < arguments.endIndex, arguments[position].text == keyword else { return false }
        lastArgumentLocation = arguments[position].location
        position += 1
        return true
    }

    var isAtEnd: Bool { position >= arguments.endIndex }

    /// Reads one value with `read`; if it is invalid, keeps the error and
    /// returns nil, so that the directive goes on with its other arguments
    /// and one pass reports every bad value of the line (SPEC §1: every
    /// error in the file).
    mutating func keepingError<Value>(_ read: (inout ArgumentReader) throws(ConfigError) -> Value) -> Value? {
        do throws(ConfigError) {
            return try read(&self)
        } catch {
            keptErrors.append(error)
            return nil
        }
    }

    /// Rejects arguments left over after the directive took what it needs.
    func finish() throws(ConfigError) {
        guard isAtEnd else {
            let extra = arguments[position]
            throw error("unexpected argument '\(extra.text)'", at: extra)
        }
    }

    // MARK: Converted values

    /// A non-empty string, such as a file path.
    mutating func text(_ what: String) throws(ConfigError) -> String {
        let token = try next(what)
        guard !token.text.isEmpty else { throw error("\(what) must not be empty", at: token) }
        return token.text
    }

    /// A listener, pool or server name: it appears in logs and metric labels, so keep it plain.
    mutating func name(_ what: String) throws(ConfigError) -> String {
        let token = try next(what)
        let isPlain = !token.text.isEmpty && token.text.allSatisfy {
            $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0))
        }
        guard isPlain else {
            throw error("invalid \(what) '\(token.text)': use letters, digits, '-', '_' and '.'", at: token)
        }
        return token.text
    }

    mutating func integer(_ what: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try bounded(what, in: range, format: String.init, parse: NumberParser.integer)
    }

    mutating func duration(_ what: String, in range: ClosedRange<Int64> = 1...Int64.max) throws(ConfigError) -> Int64 {
        try bounded(what, in: range, format: DurationParser.format, parse: DurationParser.milliseconds)
    }

    mutating func size(_ what: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        try bounded(what, in: range, format: SizeParser.format, parse: SizeParser.bytes)
    }

    mutating func endpoint(_ what: String, allowingHostNames: Bool) throws(ConfigError) -> Endpoint {
        let token = try next(what)
        do {
            return try EndpointParser.endpoint(token.text, allowingHostNames: allowingHostNames)
        } catch {
            throw self.error(error.reason, at: token)
        }
    }

    /// One of the raw values of `Value`, e.g. a `LogLevel`.
    mutating func choice<Value: RawRepresentable & CaseIterable>(_ what: String, of _: Value.Type = Value.self) throws(ConfigError) -> Value
    where Value.RawValue == String {
        let token = try next(what)
        guard let value = Value(rawValue: token.text) else {
            let expected = Self.alternatives(Value.allCases.map(\.rawValue))
            throw error("expected \(expected), got '\(token.text)'", at: token)
        }
        return value
    }

    /// The next keyword of a trailing `KEYWORD [VALUE]` list such as `weight 3 backup`,
    /// or nil at the end of the line. Each keyword may appear once, in any order.
    mutating func nextOption<Option: RawRepresentable & CaseIterable>(_: Option.Type) throws(ConfigError) -> Option?
    where Option.RawValue == String {
        guard !isAtEnd else { return nil }
        let option = try choice("option", of: Option.self)
        guard seenOptions.insert(option.rawValue).inserted else {
            throw error("'\(option.rawValue)' given twice", at: arguments[position - 1])
        }
        return option
    }

    /// Parses the next argument with `parse`, then checks it lies in `range`.
    private mutating func bounded<Value: FixedWidthInteger>(
        _ what: String,
        in range: ClosedRange<Value>,
        format: (Value) -> String,
        parse: (String) throws(InvalidValue) -> Value
    ) throws(ConfigError) -> Value {
        let token = try next(what)
        let value: Value
        do {
            value = try parse(token.text)
        } catch {
            throw self.error(error.reason, at: token)
        }
        guard range.contains(value) else {
            let bounds = range.upperBound == Value.max
                ? "at least \(format(range.lowerBound))"
                : "between \(format(range.lowerBound)) and \(format(range.upperBound))"
            throw error("\(what) must be \(bounds), got \(token.text)", at: token)
        }
        return value
    }

    /// `a, b or c`.
    static func alternatives(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }
}
