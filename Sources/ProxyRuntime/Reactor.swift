import Balancing
import CURing
import Glibc
import Logging
import URing

/// One reactor: a thread with its own ring, provided buffers, listening
/// sockets and connection table. Nothing here is shared with other reactors
/// except the read-only `RuntimeModel` and the connection-limit counters.
final class Reactor {
    let model: RuntimeModel
    let mailbox: ReactorMailbox
    var logger: Logger

    // All created on the reactor's own thread (SINGLE_ISSUER), and constant
    // afterwards: `let` spares the hot path optional checks and reference counting.
    let ring: Ring
    let buffers: ProvidedBufferRing
    let table: ConnectionTable
    let timers: TimerWheel
    /// Per provided buffer: its received length and the next buffer in its flow's queue.
    let bufferLength: UnsafeMutablePointer<Int32>
    let bufferNext: UnsafeMutablePointer<Int32>
    /// sendmsg headers and iovecs, keyed by the id of the first buffer a send covers.
    let sendMessages: UnsafeMutablePointer<msghdr>
    let sendVectors: UnsafeMutablePointer<iovec>

    var listenSockets: [ListenSocketState] = []
    var pipes = PipePool(capacity: Reactor.maxSplicingFlows)
    /// One balancer per pool; what must be exact across reactors (the
    /// round-robin position, the load per server) it shares through the pool.
    var pickers: [ServerPicker]
    var lastHealthSweepMilliseconds: Int64 = 0
    /// Flows whose recv ran out of provided buffers.
    var starved: [FlowReference] = []
    /// Flows with bytes to send once this batch of completions is handled.
    var scheduledSends: [FlowReference] = []
    var nowMilliseconds: Int64 = 0
    /// `nowMilliseconds` in 32 bits, for per-flow time stamps: compare two by
    /// their wrapping difference (good for intervals under 49 days).
    var stamp: UInt32 { UInt32(truncatingIfNeeded: nowMilliseconds) }
    var accepting = true
    var acceptPausedForBuffers = false
    var bufferWarnings = WarningThrottle()
    /// Clients accepted while no descriptor was left for their server socket,
    /// oldest first; accepting is paused while there are any.
    var waitingForDescriptor: [FlowReference] = []
    var descriptorWarnings = WarningThrottle()
    var acceptPauseWarnings = WarningThrottle()
    /// Descriptors held in reserve (on /dev/null) for server sockets: see
    /// `openServerSocket`.
    var spareDescriptors: [Int32] = []
    /// /dev/null, where an abandoned splicing flow empties its pipe.
    let discardFd: Int32
    var lastReclaimMilliseconds: Int64 = 0
    var acceptRetryAtMilliseconds: Int64 = .max
    var rejectedSinceLastReport = 0
    var lastRejectionReportMilliseconds: Int64 = 0

    private let mailboxCounter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

    /// Bytes queued in one direction past which we stop receiving from its source.
    let highWaterBytes: Int
    /// Bytes queued below which a paused source is read again.
    let lowWaterBytes: Int
    /// Whether the kernel ends a multishot recv at a byte cap (see `armReceive`).
    let receivesAreCapped = Reactor.kernelCapsReceives
    /// Probed once for the process, on the first reactor's start.
    private static let kernelCapsReceives = RingProbe.capsMultishotReceives()

    static let bufferGroup: UInt16 = 0
    static let acceptBackoffMilliseconds: Int64 = 100
    /// See `idleTimeout(of:)`.
    static let lingerMilliseconds: Int64 = 5_000
    /// Descriptors each reactor holds in reserve for server sockets.
    static let spareDescriptorCount = 4
    static let maxSendVectors = 16
    /// Flows splicing at once per reactor: each holds a 1 MiB pipe (two
    /// descriptors); the others stay on recv/send.
    static let maxSplicingFlows = 16
    /// Full buffers in a row that make a flow switch to splicing.
    static let fullReadsBeforeSplice: UInt8 = 4
    /// Splice reads shorter than a buffer in a row that send a flow back to recv.
    static let shortSplicesBeforeRecv: UInt8 = 4
    static let spliceFlags = rp_splice_f_move() | rp_splice_f_nonblock()
    static let detachedTag = OperationTag(kind: OperationKind.detached.rawValue, generation: 0, slot: 0).userData

    struct ListenSocketState {
        let fd: Int32
        let listener: Int
        var acceptArmed = false
    }

    /// Builds the ring, buffers, tables and listening sockets. Must run on the
    /// thread that will call `run()`.
    init(index: Int, model: RuntimeModel, mailbox: ReactorMailbox, logger: Logger, connectionCapacity: Int) throws {
        self.model = model
        self.mailbox = mailbox
        self.logger = logger
        self.logger[metadataKey: "reactor"] = "\(index)"
        // Reactors draw different random sequences, so random-two does not herd.
        let seed = UInt64(index + 1) &* 0x9e37_79b9_7f4a_7c15 ^ UInt64(MonotonicClock.milliseconds())
        pickers = model.pools.map {
            ServerPicker(servers: $0.balancedServers, algorithm: $0.algorithm, randomSeed: seed, rotation: $0.rotation)
        }
        highWaterBytes = 8 * model.bufferSize
        lowWaterBytes = 2 * model.bufferSize

        ring = try Ring(entries: 4096, completionEntries: 16384)
        let missing = RingProbe.missingOperations(on: ring)
        guard missing.isEmpty else {
            throw ReactorSetupError("this kernel's io_uring lacks: \(missing.joined(separator: ", "))")
        }
        buffers = try ProvidedBufferRing(ring: ring, groupID: Self.bufferGroup,
                                         bufferSize: model.bufferSize, bufferCount: model.bufferCount)
        bufferLength = .allocate(capacity: model.bufferCount)
        bufferNext = .allocate(capacity: model.bufferCount)
        sendMessages = .allocate(capacity: model.bufferCount)
        sendVectors = .allocate(capacity: model.bufferCount * Self.maxSendVectors)
        table = ConnectionTable(capacity: connectionCapacity)
        starved.reserveCapacity(connectionCapacity)
        scheduledSends.reserveCapacity(4096)
        nowMilliseconds = MonotonicClock.milliseconds()
        timers = TimerWheel(capacity: connectionCapacity, tickMilliseconds: 100, bucketCount: 1024,
                            nowMilliseconds: nowMilliseconds)
        for (listenerIndex, listener) in model.listeners.enumerated() {
            for address in listener.binds {
                listenSockets.append(ListenSocketState(fd: try ListenSocket.open(address), listener: listenerIndex))
            }
        }
        discardFd = open("/dev/null", O_WRONLY | O_CLOEXEC)
        guard discardFd >= 0 else { throw ReactorSetupError("cannot open /dev/null: \(String(cString: strerror(errno)))") }
        replenishSpareDescriptors()
    }

    /// The event loop: one submit-and-wait per turn, then every completion.
    /// It never returns: the process ends from the control thread.
    func run() -> Never {
        for socketIndex in listenSockets.indices { armAccept(socketIndex) }
        armMailbox()
        while true {
            let wait = max(min(timers.nextTickMilliseconds, acceptRetryAtMilliseconds) - nowMilliseconds, 1)
            ring.submitAndWait(timeoutNanoseconds: wait * 1_000_000)
            nowMilliseconds = MonotonicClock.milliseconds()
            ring.drainCompletions { completion in
                handle(completion.pointee)
            }
            if !scheduledSends.isEmpty { flushScheduledSends() }
            while let slot = timers.popExpired(upToMilliseconds: nowMilliseconds) {
                checkIdle(slot)
            }
            if !starved.isEmpty { resumeStarved() }
            reclaimBuffersIfShort()
            adjustAcceptingToBuffers()
            if nowMilliseconds >= acceptRetryAtMilliseconds { retryAccepts() }
            if nowMilliseconds - lastHealthSweepMilliseconds >= 1000 { logServersBackInRotation() }
            reportRejections()
        }
    }

    private func handle(_ completion: io_uring_cqe) {
        let tag = OperationTag(userData: completion.user_data)
        guard let kind = OperationKind(rawValue: tag.kind) else { return }
        switch kind {
        case .accept:
            accepted(completion, socketIndex: Int(tag.slot))
        case .mailbox:
            readMailbox()
        case .detached:
            break
        default:
            let slot = Int32(bitPattern: tag.slot)
            guard table.slots[Int(slot)].generation & OperationTag.generationMask == tag.generation else {
                logger.error("completion for a recycled connection slot \(slot); ignored")
                return
            }
            handleConnectionCompletion(kind, completion, slot: slot)
            finishIfIdle(slot)
        }
    }

    private func handleConnectionCompletion(_ kind: OperationKind, _ completion: io_uring_cqe, slot: Int32) {
        // Single-shot operations complete once; a multishot recv is counted
        // down only at its last completion, in `received`.
        if !kind.isMultishot { table.slots[Int(slot)].inFlight -= 1 }
        switch kind {
        case .connect:
            connected(slot, result: completion.res)
        case .receiveFromClient, .receiveFromServer:
            received(completion, slot: slot, direction: kind.direction)
        case .sendToServer, .sendToClient:
            sent(completion.res, slot: slot, direction: kind.direction)
        case .spliceFromClient, .spliceFromServer:
            splicedIn(completion.res, slot: slot, direction: kind.direction)
        case .spliceToServer, .spliceToClient:
            splicedOut(completion.res, slot: slot, direction: kind.direction)
        case .clientReadable, .serverReadable, .serverWritable, .clientWritable:
            spliceReadinessArrived(kind, events: completion.res, slot: slot)
        case .connectTimeout, .cancel, .accept, .mailbox, .detached:
            break
        }
    }

    @inline(__always)
    func tag(_ kind: OperationKind, _ slot: Int32) -> UInt64 {
        OperationTag(kind: kind.rawValue, generation: table.slots[Int(slot)].generation, slot: UInt32(slot)).userData
    }

    /// Tags a prepared submission for `slot` and counts it until its last
    /// completion arrives. Call after `io_uring_prep_*`, which resets the entry.
    @inline(__always)
    func track(_ sqe: UnsafeMutablePointer<io_uring_sqe>, _ kind: OperationKind, _ slot: Int32) {
        io_uring_sqe_set_data64(sqe, tag(kind, slot))
        table.slots[Int(slot)].inFlight += 1
    }

    /// Closes a socket through the ring; nothing waits for the result.
    func closeDetached(_ fd: Int32) {
        let sqe = ring.nextSubmission()
        io_uring_prep_close(sqe, fd)
        io_uring_sqe_set_data64(sqe, Self.detachedTag)
        sqe.pointee.skipSuccessCompletion()
    }

    // MARK: Mailbox

    private func armMailbox() {
        let sqe = ring.nextSubmission()
        io_uring_prep_read(sqe, mailbox.eventFd, mailboxCounter, UInt32(MemoryLayout<UInt64>.size), 0)
        io_uring_sqe_set_data64(sqe, OperationTag(kind: OperationKind.mailbox.rawValue, generation: 0, slot: 0).userData)
    }

    private func readMailbox() {
        for command in mailbox.take() {
            switch command {
            case .stopAccepting:
                stopAccepting()
            }
        }
        armMailbox()
    }

    /// One log line a second at most, however fast clients are turned away.
    private func reportRejections() {
        guard rejectedSinceLastReport > 0, nowMilliseconds - lastRejectionReportMilliseconds >= 1000 else { return }
        logger.warning("rejected \(rejectedSinceLastReport) connections over max-connections")
        rejectedSinceLastReport = 0
        lastRejectionReportMilliseconds = nowMilliseconds
    }
}

struct ReactorSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum MonotonicClock {
    static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
