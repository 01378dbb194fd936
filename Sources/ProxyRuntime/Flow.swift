/// One direction of a proxied connection: bytes received from the source
/// socket, queued as provided buffers, sent in order to the destination.
///
/// Flow 0 is client → server, flow 1 is server → client. The queue is an
/// intrusive list threaded through the reactor's per-buffer `next` array, so
/// queuing a chunk allocates nothing.
struct Flow {
    var queueHead: Int32 = -1
    var queueTail: Int32 = -1
    var queuedBytes = 0
    /// Bytes of the head buffer already sent (short sends).
    var headOffset: Int32 = 0
    var sendInFlight = false
    /// When the send in flight was submitted: one pending for long means the
    /// destination has stopped taking bytes.
    var sendStartedMilliseconds: Int64 = 0
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

    /// Bytes copied out of the provided buffers because the destination
    /// stalled while the reactor ran short of them (Reactor+Reclaiming).
    /// Part of `queuedBytes`; they go out before the queue.
    var spill = SpillBuffer()
    /// The send in flight was cancelled so the queue can be copied out; its
    /// completion does the copy.
    var reclaiming = false

    // Splice mode (bulk transfers): source → pipe → destination, no user copy.
    /// Full buffers received in a row; enough of them switch the flow to splicing.
    var consecutiveFullReads: UInt8 = 0
    /// Switch to splicing once the recv has stopped and the queue is empty.
    var spliceRequested = false
    var splicing = false
    /// Short splice reads in a row; enough of them end splicing.
    var consecutiveShortSplices: UInt8 = 0
    /// Splicing is over: go back to buffered recv once the pipe is empty.
    var leavingSplice = false
    var pipe = SplicePipe.none
    var pipeBytes = 0
    /// A read (write) splice, or the poll that waits to retry it, is in flight.
    var spliceInInFlight = false
    var spliceOutInFlight = false

    var isDrained: Bool { queueHead < 0 && spill.isEmpty && !sendInFlight && pipeBytes == 0 && !spliceOutInFlight }
}
