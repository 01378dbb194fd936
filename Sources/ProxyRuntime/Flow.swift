/// One direction of a proxied connection: bytes received from the source
/// socket, queued as provided buffers, sent in order to the destination.
///
/// Flow 0 is client → server, flow 1 is server → client. The queue is an
/// intrusive list threaded through the reactor's per-buffer `next` array, so
/// queuing a chunk allocates nothing.
///
/// Fields are ordered widest first (the pipe, 10 bytes, before the one-byte
/// fields) so a flow takes 64 bytes: a connection's two flows fill two
/// cache lines. A test holds it to that.
struct Flow {
    var queuedBytes = 0
    /// Bytes copied out of the provided buffers because the destination
    /// stalled while the reactor ran short of them (Reactor+Reclaiming).
    /// Part of `queuedBytes`; they go out before the queue. Out of line:
    /// nearly every flow never has one.
    var spill: UnsafeMutablePointer<SpillBuffer>?
    var queueHead: Int32 = -1
    var queueTail: Int32 = -1
    /// Bytes of the head buffer already sent (short sends).
    var headOffset: Int32 = 0
    /// When the send in flight was submitted (`Reactor.stamp`): one pending
    /// for long means the destination has stopped taking bytes.
    var sendStartedStamp: UInt32 = 0

    // Splice mode (bulk transfers): source → pipe → destination, no user copy.
    var pipeBytes: Int32 = 0
    var pipe = SplicePipe.none

    var sendInFlight = false
    /// Queued for a send once the current batch of completions is handled.
    var sendScheduled = false
    /// A multishot recv is armed on the source.
    var receiving = false
    /// The recv was cancelled because the destination is slower (back-pressure).
    var paused = false
    /// The recv stopped with ENOBUFS and waits for buffers to come back.
    var starved = false
    /// The source sent EOF.
    var sourceClosed = false
    /// Our write side towards the destination is shut down (EOF passed on).
    var destinationShut = false
    /// The send in flight was cancelled so the queue can be copied out; its
    /// completion does the copy.
    var reclaiming = false
    /// The destination failed (`Reactor.abandon`): nothing more is read,
    /// queued or sent; what arrives is dropped.
    var abandoned = false

    /// Full buffers received in a row; enough of them switch the flow to splicing.
    var consecutiveFullReads: UInt8 = 0
    /// Switch to splicing once the recv has stopped and the queue is empty.
    var spliceRequested = false
    var splicing = false
    /// Short splice reads in a row; enough of them end splicing.
    var consecutiveShortSplices: UInt8 = 0
    /// Splicing is over: go back to buffered recv once the pipe is empty.
    var leavingSplice = false
    /// A read (write) splice, or the poll that waits to retry it, is in flight.
    var spliceInInFlight = false
    var spliceOutInFlight = false
    /// A read splice found no room (or no data) while the pipe held bytes
    /// that a write splice is taking out: the next read waits for that write.
    var spliceInAwaitsRoom = false
    /// Waits in a row for room at a destination whose peer has half-closed
    /// (see `Reactor.waitForRoom`); sets how long the next one lasts.
    var roomWaits: UInt8 = 0

    var isDrained: Bool { queueHead < 0 && spill == nil && !sendInFlight && pipeBytes == 0 && !spliceOutInFlight }

    /// The flow's spill, made (empty) if it has none.
    mutating func makeSpill() -> UnsafeMutablePointer<SpillBuffer> {
        if let spill { return spill }
        let made = UnsafeMutablePointer<SpillBuffer>.allocate(capacity: 1)
        made.initialize(to: SpillBuffer())
        spill = made
        return made
    }

    /// Frees the spill and its bytes, if any.
    mutating func dropSpill() {
        guard let spill else { return }
        spill.pointee.release()
        spill.deallocate()
        self.spill = nil
    }
}
