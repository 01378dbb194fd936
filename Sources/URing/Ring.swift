import CURing
import Glibc

/// One io_uring instance, owned and driven by exactly one thread.
///
/// Created with SINGLE_ISSUER | DEFER_TASKRUN: completions run only when that
/// thread enters the kernel to wait, so the ring must be created on the thread
/// that will submit to it. `struct io_uring` lives on the heap because liburing
/// keeps pointers into it.
public final class Ring {
    public let raw: UnsafeMutablePointer<io_uring>
    private let completionBatch: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>
    private let batchCapacity: UInt32 = 256

    public init(entries: UInt32, completionEntries: UInt32) throws {
        raw = .allocate(capacity: 1)
        raw.initialize(to: io_uring())
        var params = io_uring_params()
        params.flags = rp_setup_single_issuer() | rp_setup_defer_taskrun() | rp_setup_cqsize() | rp_setup_submit_all()
        params.cq_entries = completionEntries
        let result = io_uring_queue_init_params(entries, raw, &params)
        guard result == 0 else {
            raw.deallocate()
            throw RingError("io_uring_queue_init_params", errno: -result)
        }
        completionBatch = .allocate(capacity: Int(batchCapacity))
        // Registering the ring's own fd spares the kernel a file lookup on
        // every io_uring_enter; without it everything still works.
        _ = io_uring_register_ring_fd(raw)
    }

    deinit {
        io_uring_queue_exit(raw)
        raw.deallocate()
        completionBatch.deallocate()
    }

    /// A free submission entry; when the submission queue is full, what is
    /// queued is submitted first to make room.
    @inline(__always)
    public func nextSubmission() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(raw) { return sqe }
        _ = io_uring_submit(raw)
        guard let sqe = io_uring_get_sqe(raw) else {
            fatalError("io_uring submission queue still full after submit")
        }
        return sqe
    }

    /// Makes sure `count` submission entries are free, submitting what is
    /// queued if not: a linked chain must not be split across two submits,
    /// or its last entry would go out still marked as linked.
    @inline(__always)
    public func reserveSubmissions(_ count: UInt32) {
        if io_uring_sq_space_left(raw) < count { _ = io_uring_submit(raw) }
    }

    /// Submits everything queued and waits for at least one completion or
    /// the timeout. One call per loop turn.
    public func submitAndWait(timeoutNanoseconds: Int64) {
        var timeout = __kernel_timespec(
            tv_sec: timeoutNanoseconds / 1_000_000_000,
            tv_nsec: timeoutNanoseconds % 1_000_000_000)
        var completion: UnsafeMutablePointer<io_uring_cqe>?
        let result = io_uring_submit_and_wait_timeout(raw, &completion, 1, &timeout, nil)
        if result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN && result != -EBUSY {
            fatalError("io_uring_submit_and_wait_timeout: \(String(cString: strerror(-result)))")
        }
    }

    /// Calls `handle` for every completion ready now, in batches, marking them seen.
    @inline(__always)
    public func drainCompletions(_ handle: (UnsafeMutablePointer<io_uring_cqe>) -> Void) {
        while true {
            let count = io_uring_peek_batch_cqe(raw, completionBatch, batchCapacity)
            if count == 0 { return }
            for index in 0..<Int(count) {
                handle(completionBatch[index]!)
            }
            io_uring_cq_advance(raw, count)
        }
    }
}
