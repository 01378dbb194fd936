import CURing
import Glibc

/// Pipes for splicing, reused across connections: creating a pipe and sizing
/// it costs three syscalls, and a pipe left empty can serve the next flow.
struct PipePool {
    static let pipeCapacity = 1 << 20
    let capacity: Int
    private var idle: [(read: Int32, write: Int32)] = []
    private(set) var inUse = 0

    init(capacity: Int) {
        self.capacity = capacity
        idle.reserveCapacity(capacity)
    }

    /// An empty pipe, or nil when `capacity` pipes are taken or none can be made.
    mutating func acquire() -> (read: Int32, write: Int32)? {
        guard inUse < capacity else { return nil }
        if let pipe = idle.popLast() {
            inUse += 1
            return pipe
        }
        var fds: [Int32] = [-1, -1]
        guard pipe2(&fds, O_CLOEXEC) == 0 else { return nil }
        // A larger pipe moves more per splice; if the system refuses, the default works too.
        _ = fcntl(fds[1], rp_f_setpipe_sz(), Int32(Self.pipeCapacity))
        inUse += 1
        return (fds[0], fds[1])
    }

    /// Takes back an empty pipe for reuse.
    mutating func release(_ pipe: (read: Int32, write: Int32)) {
        inUse -= 1
        idle.append(pipe)
    }

    /// Forgets a pipe the caller closes (it still held bytes).
    mutating func discard() {
        inUse -= 1
    }
}
