/// A non-blank, non-comment line of the file, split into tokens by the `Lexer`.
struct ConfigLine {
    var number: Int
    /// Indented lines are directives; the others are section headers.
    var isIndented: Bool
    /// Never empty on a well-formed line.
    var tokens: [Token]
    /// The lexer reported an error on this line, so the parser skips it.
    var isMalformed: Bool
}
