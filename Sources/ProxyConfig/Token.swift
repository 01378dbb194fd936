/// One word or quoted string of a configuration line.
struct Token: Equatable {
    /// The word, or the quoted string decoded as UTF-8 (lossily, if `\xHH` escapes made it invalid).
    var text: String
    /// The exact bytes: what health-check payloads use.
    var bytes: [UInt8]
    var location: SourceLocation

    init(word: String, location: SourceLocation) {
        self.text = word
        self.bytes = Array(word.utf8)
        self.location = location
    }

    init(quoted bytes: [UInt8], location: SourceLocation) {
        self.text = String(decoding: bytes, as: UTF8.self)
        self.bytes = bytes
        self.location = location
    }
}
