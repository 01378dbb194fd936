import CURing

/// Checks at start-up that the kernel supports every operation the proxy
/// relies on, so an old kernel fails with a clear message instead of odd errors.
public enum RingProbe {
    static let required: [(opcode: io_uring_op, name: String)] = [
        (IORING_OP_ACCEPT, "accept"),
        (IORING_OP_RECV, "recv"),
        (IORING_OP_SEND, "send"),
        (IORING_OP_CONNECT, "connect"),
        (IORING_OP_LINK_TIMEOUT, "link-timeout"),
        (IORING_OP_ASYNC_CANCEL, "async-cancel"),
        (IORING_OP_SHUTDOWN, "shutdown"),
        (IORING_OP_CLOSE, "close"),
        (IORING_OP_READ, "read"),
    ]

    /// The names of required operations this kernel lacks; empty when all are there.
    public static func missingOperations(on ring: Ring) -> [String] {
        guard let probe = io_uring_get_probe_ring(ring.raw) else {
            return ["probe"]
        }
        defer { io_uring_free_probe(probe) }
        return required.filter { io_uring_opcode_supported(probe, Int32($0.opcode.rawValue)) == 0 }.map(\.name)
    }
}
