@testable import ProxyConfig
import Testing

@Suite struct LexerTests {
    private func lex(_ text: String) -> (lines: [ConfigLine], errors: [String]) {
        var lexer = Lexer(path: "proxy.conf")
        let lines = lexer.lex(text)
        return (lines, lexer.errors.map(\.description))
    }

    /// The bytes of the single quoted token on the line `    send STRING`.
    private func quotedBytes(_ quoted: String) -> [UInt8]? {
        let result = lex("    send \(quoted)")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return result.lines.first?.tokens.last?.bytes
    }

    @Test func splitsWordsWithOneBasedLinesAndColumns() {
        let (lines, errors) = lex("listener web   # the web side\n\tbind 127.0.0.1:8080\n")
        #expect(errors.isEmpty)
        #expect(lines.count == 2)
        #expect(lines[0].number == 1 && !lines[0].isIndented)
        #expect(lines[0].tokens.map(\.text) == ["listener", "web"])
        #expect(lines[0].tokens.map(\.location.column) == [1, 10])
        #expect(lines[1].number == 2 && lines[1].isIndented)
        #expect(lines[1].tokens.map(\.text) == ["bind", "127.0.0.1:8080"])
        #expect(lines[1].tokens.map(\.location.column) == [2, 7])
    }

    @Test func skipsBlankAndCommentLinesAndTrailingComments() {
        let (lines, errors) = lex("# header comment\n\n   \n    # indented comment\nglobal#no space needed\n")
        #expect(errors.isEmpty)
        #expect(lines.count == 1)
        #expect(lines[0].number == 5)
        #expect(lines[0].tokens.map(\.text) == ["global"])
    }

    @Test func skipsALeadingByteOrderMark() {
        let (lines, errors) = lex("\u{FEFF}global\n    workers 2\n")
        #expect(errors.isEmpty)
        #expect(lines.first?.tokens.first?.text == "global")
        #expect(lines.first?.tokens.first?.location.column == 1)
        // Anywhere else it is part of a word.
        #expect(lex("global\n\u{FEFF}pool app\n").lines.last?.tokens.first?.text == "\u{FEFF}pool")
    }

    @Test func acceptsCRLFLineEndings() {
        let (lines, errors) = lex("global\r\n    workers 2\r\n")
        #expect(errors.isEmpty)
        #expect(lines.map(\.number) == [1, 2])
        #expect(lines[1].tokens.map(\.text) == ["workers", "2"])
    }

    @Test(arguments: [
        (#""PING""#, Array("PING".utf8)),
        (#""two words""#, Array("two words".utf8)),
        (##""# not a comment""##, Array("# not a comment".utf8)),
        (#""""#, []),
        (#""\r""#, [0x0D]),
        (#""\n""#, [0x0A]),
        (#""\t""#, [0x09]),
        (#""\\""#, [0x5C]),
        (#""\"""#, [0x22]),
        (#""\x00""#, [0x00]),
        (#""\x7f""#, [0x7F]),
        (#""\xFF""#, [0xFF]),
        (#""\xaB""#, [0xAB]),
        (#""PING\r\n""#, Array("PING\r\n".utf8)),
        (#""é""#, [0xC3, 0xA9]),
    ] as [(String, [UInt8])])
    func decodesQuotedStringsToBytes(quoted: String, bytes: [UInt8]) {
        #expect(quotedBytes(quoted) == bytes)
    }

    @Test func quotedTokenStartsAtItsOpeningQuote() {
        let (lines, _) = lex(#"    health-check send "a b" expect "+OK""#)
        #expect(lines[0].tokens.map(\.location.column) == [5, 18, 23, 29, 36])
        #expect(lines[0].tokens.map(\.text) == ["health-check", "send", "a b", "expect", "+OK"])
    }

    @Test(arguments: [
        (#"    send "PING"#, #"proxy.conf:1:10: unterminated string"#),
        (#"    send "PING\"#, #"proxy.conf:1:10: unterminated string"#),
        (#"    send "a\qb""#, #"proxy.conf:1:12: invalid escape '\q' (use \r \n \t \\ \" or \xHH)"#),
        (#"    send "\x4""#, #"proxy.conf:1:11: invalid escape '\x': expected two hex digits"#),
        (#"    send "\xg0""#, #"proxy.conf:1:11: invalid escape '\x': expected two hex digits"#),
        (#"    send "\x+1""#, #"proxy.conf:1:11: invalid escape '\x': expected two hex digits"#),
        (#"    send ab"c""#, #"proxy.conf:1:12: unexpected '"' inside a word"#),
        (#"    send "ab"c"#, #"proxy.conf:1:14: expected a space after the closing quote"#),
    ])
    func reportsMalformedStrings(line: String, error: String) {
        let (lines, errors) = lex(line)
        #expect(errors == [error])
        #expect(lines.count == 1 && lines[0].isMalformed)
    }

    @Test func reportsOneErrorPerLineAndGoesOn() {
        let (lines, errors) = lex("    a \"x\n    b \"\\z\" \"y\n    c ok\n")
        #expect(errors == [
            "proxy.conf:1:7: unterminated string",
            #"proxy.conf:2:8: invalid escape '\z' (use \r \n \t \\ \" or \xHH)"#,
        ])
        #expect(lines.map(\.isMalformed) == [true, true, false])
    }
}
