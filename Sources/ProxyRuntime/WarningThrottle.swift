/// Lets a recurring warning through once per interval at most: conditions
/// such as running out of descriptors or buffers can come and go many times
/// a second, and a line for each would flood the log. The line that gets
/// through says how many were held back since the last one.
struct WarningThrottle {
    static let intervalMilliseconds: Int64 = 10_000
    private var lastMilliseconds: Int64?
    private var heldBack = 0

    /// A suffix for the warning when it may be logged now (empty, or saying
    /// how many were held back); nil when it must be held back.
    mutating func admit(atMilliseconds now: Int64) -> String? {
        if let last = lastMilliseconds, now - last < Self.intervalMilliseconds {
            heldBack += 1
            return nil
        }
        defer {
            lastMilliseconds = now
            heldBack = 0
        }
        return heldBack == 0 ? "" : " (\(heldBack) more since the last such warning)"
    }
}
