import CURing
import Glibc

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

    /// Whether this kernel ends a multishot recv at a byte cap
    /// (`limitMultishotReceive`). Tried on a ring of its own: three bytes
    /// wait in a socket and the cap is two, so a kernel that caps ends the
    /// recv at its first completion; one that does not rejects the cap.
    public static func capsMultishotReceives() -> Bool {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return false
        }
        defer { close(pair[0]); close(pair[1]) }
        guard send(pair[1], "abc", 3, 0) == 3,
              let ring = try? Ring(entries: 4, completionEntries: 8),
              let buffers = try? ProvidedBufferRing(ring: ring, groupID: 0, bufferSize: 64, bufferCount: 1) else {
            return false
        }
        let sqe = ring.nextSubmission()
        io_uring_prep_recv_multishot(sqe, pair[0], nil, 0, 0)
        sqe.pointee.selectBuffer(group: buffers.groupID)
        sqe.pointee.limitMultishotReceive(toBytes: 2)
        ring.submitAndWait(timeoutNanoseconds: 100_000_000)
        var first: (result: Int32, hasMore: Bool)?
        ring.drainCompletions { completion in
            if first == nil { first = (completion.pointee.res, completion.pointee.hasMore) }
        }
        return first.map { $0.result == 3 && !$0.hasMore } ?? false
    }
}
