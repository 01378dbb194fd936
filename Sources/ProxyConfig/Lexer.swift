/// Splits configuration text into lines of tokens.
///
/// Tokens are separated by spaces or tabs; `#` outside a quoted string starts a
/// comment. A double-quoted string may hold spaces and the escapes
/// `\r \n \t \\ \" \xHH`; it yields raw bytes because health-check payloads are bytes.
/// A line with an error is reported once (its first error) and marked malformed.
struct Lexer {
    let path: String
    private(set) var errors: [ConfigError] = []

    init(path: String) {
        self.path = path
    }

    mutating func lex(_ text: String) -> [ConfigLine] {
        var lines: [ConfigLine] = []
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" {
            scalars.removeFirst()  // the byte-order mark some editors write first
        }
        for (index, rawLine) in scalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var scalars = Array(rawLine)
            if scalars.last == "\r" {
                scalars.removeLast()  // CRLF files
            }
            if let line = lexLine(scalars, number: index + 1) {
                lines.append(line)
            }
        }
        return lines
    }

    /// nil for a blank or comment-only line.
    private mutating func lexLine(_ scalars: [Unicode.Scalar], number: Int) -> ConfigLine? {
        var tokens: [Token] = []
        var index = 0
        func location(_ index: Int) -> SourceLocation {
            SourceLocation(line: number, column: index + 1)
        }
        func malformed(_ message: String, at index: Int) -> ConfigLine {
            errors.append(ConfigError(path: path, at: location(index), message))
            return ConfigLine(number: number, isIndented: Self.isBlank(scalars.first), tokens: tokens, isMalformed: true)
        }

        while index < scalars.count {
            let scalar = scalars[index]
            if Self.isBlank(scalar) {
                index += 1
            } else if scalar == "#" {
                break
            } else if scalar == "\"" {
                let start = index
                switch Self.quotedString(scalars, openingQuoteAt: start) {
                case .failure(let failure):
                    return malformed(failure.message, at: failure.index)
                case .success(let (bytes, end)):
                    if end < scalars.count, !Self.isBlank(scalars[end]), scalars[end] != "#" {
                        return malformed("expected a space after the closing quote", at: end)
                    }
                    tokens.append(Token(quoted: bytes, location: location(start)))
                    index = end
                }
            } else {
                let start = index
                while index < scalars.count, !Self.isBlank(scalars[index]), scalars[index] != "#" {
                    if scalars[index] == "\"" {
                        return malformed("unexpected '\"' inside a word", at: index)
                    }
                    index += 1
                }
                var word = String.UnicodeScalarView()
                word.append(contentsOf: scalars[start..<index])
                tokens.append(Token(word: String(word), location: location(start)))
            }
        }
        guard !tokens.isEmpty else { return nil }
        return ConfigLine(number: number, isIndented: Self.isBlank(scalars.first), tokens: tokens, isMalformed: false)
    }

    private struct StringFailure: Error {
        var message: String
        /// Where the problem is, in scalars from the start of the line.
        var index: Int
    }

    /// Decodes the string opening at `openingQuoteAt`; returns its bytes and the index after the closing quote.
    private static func quotedString(_ scalars: [Unicode.Scalar], openingQuoteAt start: Int) -> Result<([UInt8], Int), StringFailure> {
        var bytes: [UInt8] = []
        var index = start + 1
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\"" {
                return .success((bytes, index + 1))
            }
            guard scalar == "\\" else {
                bytes.append(contentsOf: String(scalar).utf8)
                index += 1
                continue
            }
            guard index + 1 < scalars.count else { break }  // a backslash ending the line leaves the string open
            let escape = scalars[index + 1]
            switch escape {
            case "r": bytes.append(UInt8(ascii: "\r"))
            case "n": bytes.append(UInt8(ascii: "\n"))
            case "t": bytes.append(UInt8(ascii: "\t"))
            case "\\", "\"": bytes.append(UInt8(escape.value))
            case "x":
                let digits = scalars[(index + 2)..<min(index + 4, scalars.count)]
                guard digits.count == 2, digits.allSatisfy(\.properties.isASCIIHexDigit),
                      let byte = UInt8(String(String.UnicodeScalarView(digits)), radix: 16) else {
                    return .failure(StringFailure(message: "invalid escape '\\x': expected two hex digits", index: index))
                }
                bytes.append(byte)
                index += 2
            default:
                return .failure(StringFailure(message: "invalid escape '\\\(escape)' (use \\r \\n \\t \\\\ \\\" or \\xHH)", index: index))
            }
            index += 2
        }
        return .failure(StringFailure(message: "unterminated string", index: start))
    }

    private static func isBlank(_ scalar: Unicode.Scalar?) -> Bool {
        scalar == " " || scalar == "\t"
    }
}
