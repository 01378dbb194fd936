// The root suite. Everything end-to-end runs serialized (nested suites inherit it):
// the tests measure timing and memory of a real process on a 2-core machine.
import Testing

@Suite("ringproxy end to end", .serialized)
struct EndToEnd {}

/// Records an issue unless `actual` equals `expected` byte for byte (short message, no dump).
func expectSameBytes(
    _ actual: [UInt8], _ expected: [UInt8], _ context: @autoclosure () -> String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    if let mismatch = Payload.mismatch(expected: expected, actual: actual) {
        Issue.record("\(mismatch)\n\(context())", sourceLocation: sourceLocation)
    }
}
