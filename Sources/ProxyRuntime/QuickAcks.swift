import Glibc

/// TCP_QUICKACK: whether a socket acknowledges each segment at once or holds
/// its ACKs back for the next bytes it sends (the kernel's interactive mode).
enum QuickAcks {
    /// Turned on, it also sends at once an ACK held back.
    static func set(_ fd: Int32, on: Bool) {
        var value: Int32 = on ? 1 : 0
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &value, socklen_t(MemoryLayout<Int32>.size))
    }
}
