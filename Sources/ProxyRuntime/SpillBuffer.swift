import Glibc

/// Bytes a flow moved out of the shared provided buffers (its destination
/// stalled while the reactor was short of them), waiting to be sent before
/// the flow's queue. Memory of its own: grown on demand, freed once sent.
///
/// A plain value kept in the flow: copying one would share its memory, so
/// each is owned by exactly one flow, which calls `release()` when it ends.
struct SpillBuffer {
    private var storage: UnsafeMutableRawPointer?
    private var start = 0
    private var end = 0
    private var capacity = 0
    /// sendmsg's header and vector for the unsent bytes: made by the first
    /// `sendHeader()`, freed by `release()`.
    private var header: UnsafeMutablePointer<msghdr>?
    private var vector: UnsafeMutablePointer<iovec>?

    var count: Int { end - start }
    var isEmpty: Bool { start == end }
    /// Where the unsent bytes begin (nil when there are none); valid until
    /// the next mutation.
    var unsentBytes: UnsafeMutableRawPointer? { isEmpty ? nil : storage.map { $0 + start } }

    /// Makes room to append `additional` bytes, moving the unsent ones to the
    /// front first so the memory never outgrows what is still to be sent.
    /// False (nothing changed) if the memory cannot be had.
    mutating func reserve(adding additional: Int) -> Bool {
        // Also keeps realloc away from size 0, where it frees the block.
        guard additional > 0 else { return true }
        let unsent = count
        if let storage, start > 0 { memmove(storage, storage + start, unsent) }
        guard let grown = realloc(storage, unsent + additional) else {
            start = 0  // the move above kept the bytes; the old block stands
            end = unsent
            return false
        }
        storage = grown
        start = 0
        end = unsent
        capacity = unsent + additional
        return true
    }

    /// Appends `length` bytes; room must have been reserved.
    mutating func append(_ bytes: UnsafeRawPointer, length: Int) {
        precondition(end + length <= capacity, "spill append past its reserved room")
        memcpy(storage! + end, bytes, length)
        end += length
    }

    /// Drops `sent` bytes from the front; frees the memory once all are sent.
    mutating func removeFirst(_ sent: Int) {
        precondition(sent <= count, "more bytes sent than spilled")
        start += sent
        if start == end { release() }
    }

    /// A one-vector sendmsg header for the unsent bytes, valid until the next
    /// mutation. Spills go out by sendmsg, as queues do: see `Reactor.sendNext`.
    mutating func sendHeader() -> UnsafeMutablePointer<msghdr> {
        let header = self.header ?? .allocate(capacity: 1)
        let vector = self.vector ?? .allocate(capacity: 1)
        self.header = header
        self.vector = vector
        vector.pointee = iovec(iov_base: unsentBytes, iov_len: count)
        header.pointee = msghdr()
        header.pointee.msg_iov = vector
        header.pointee.msg_iovlen = 1
        return header
    }

    mutating func release() {
        header?.deallocate()
        vector?.deallocate()
        header = nil
        vector = nil
        free(storage)
        storage = nil
        start = 0
        end = 0
        capacity = 0
    }
}
