import Balancing
import CURing
import Glibc
import URing

/// Accepting clients: one multishot accept per listening socket.
extension Reactor {
    func armAccept(_ socketIndex: Int) {
        let sqe = ring.nextSubmission()
        io_uring_prep_multishot_accept(sqe, listenSockets[socketIndex].fd, nil, nil,
                                       Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        io_uring_sqe_set_data64(sqe, acceptTag(socketIndex))
        listenSockets[socketIndex].acceptArmed = true
    }

    func accepted(_ completion: io_uring_cqe, socketIndex: Int) {
        if completion.res >= 0 {
            admit(clientFd: completion.res, listener: listenSockets[socketIndex].listener)
        }
        guard !completion.hasMore else { return }
        listenSockets[socketIndex].acceptArmed = false
        if !accepting { reportAcceptsEndedIfSo() }
        guard acceptAllowed else { return }
        switch -completion.res {
        case _ where Self.isOutOfResources(-completion.res):
            // Out of descriptors or memory: accepting again at once would spin.
            if let heldBack = acceptPauseWarnings.admit(atMilliseconds: nowMilliseconds) {
                logger.warning("accept paused for \(Self.acceptBackoffMilliseconds)ms: \(String(cString: strerror(-completion.res)))\(heldBack)")
            }
            retryAccepts(within: Self.acceptBackoffMilliseconds)
        default:
            armAccept(socketIndex)
        }
    }

    /// Accepts may be armed: not draining, provided buffers to spare, and no
    /// client accepted earlier still waiting for a descriptor.
    private var acceptAllowed: Bool { accepting && !acceptPausedForBuffers && waitingForDescriptor.isEmpty }

    /// Errors that say descriptors or kernel memory ran out: worth a retry
    /// later, not at once.
    static func isOutOfResources(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }

    /// Has `retryAccepts` run in `milliseconds` at the latest.
    func retryAccepts(within milliseconds: Int64) {
        acceptRetryAtMilliseconds = min(acceptRetryAtMilliseconds, nowMilliseconds + milliseconds)
    }

    /// Clients waiting for a descriptor go first: they were accepted earlier.
    func retryAccepts() {
        acceptRetryAtMilliseconds = .max
        connectClientsWaitingForDescriptors()
        if waitingForDescriptor.isEmpty { replenishSpareDescriptors() }
        guard acceptAllowed else { return }
        for socketIndex in listenSockets.indices where !listenSockets[socketIndex].acceptArmed {
            armAccept(socketIndex)
        }
    }

    /// Takes a new client if the limits allow, and starts connecting it to a
    /// server. Also while draining: a client accepted before the listening
    /// socket closed has connected, and is served like the others.
    private func admit(clientFd: Int32, listener: Int) {
        let limits = model.listeners[listener].limit
        guard model.globalLimit.tryAcquire() else {
            return reject(clientFd)
        }
        guard limits.tryAcquire() else {
            model.globalLimit.release()
            return reject(clientFd)
        }
        guard let slot = table.allocate() else {
            limits.release()
            model.globalLimit.release()
            return reject(clientFd)
        }
        let pool = model.pools[model.listeners[listener].poolIndex]
        table.slots[Int(slot)].state = .connecting
        table.slots[Int(slot)].clientFd = clientFd
        table.slots[Int(slot)].listener = Int32(listener)
        table.slots[Int(slot)].connectAttemptsLeft = Int32(pool.retries + 1)
        if pool.algorithm.hashesClientAddress {
            table.slots[Int(slot)].client = ClientKey(peerOf: clientFd)
        }
        table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
        timers.schedule(slot, atMilliseconds: nowMilliseconds + model.listeners[listener].idleTimeoutMilliseconds)
        // Receiving starts now, not once connected: a client's first request
        // is usually there already, and is ready to send when the connect
        // completes, in the same turn of the loop.
        armReceive(slot, direction: 0)
        connectToNextServer(slot)
    }

    private func reject(_ clientFd: Int32) {
        rejectedSinceLastReport += 1
        closeDetached(clientFd)
    }

    /// Running out of provided buffers slows accepting down instead of
    /// starving the connections already open: new clients wait in the
    /// listen backlog while fewer than 1/8 of the buffers are free, and are
    /// taken again once 1/4 are.
    func adjustAcceptingToBuffers() {
        guard accepting else { return }
        let free = buffers.buffersFree
        if !acceptPausedForBuffers && free < buffers.bufferCount / 8 {
            acceptPausedForBuffers = true
            if let heldBack = bufferWarnings.admit(atMilliseconds: nowMilliseconds) {
                logger.warning("provided buffers low (\(free) of \(buffers.bufferCount) free): accepting paused\(heldBack)")
            }
            cancelAccepts()
        } else if acceptPausedForBuffers && free >= buffers.bufferCount / 4 {
            acceptPausedForBuffers = false
            logger.debug("provided buffers available again (\(free) free): accepting")
            // A retry already due (after running out of descriptors) stands:
            // accepting sooner would most likely fail the same way.
            if acceptRetryAtMilliseconds == .max { retryAccepts() }
        }
    }

    /// Draining: close the listening sockets so new clients are refused, and
    /// leave established connections alone.
    func stopAccepting() {
        guard accepting else { return }
        accepting = false
        // Clients accepted earlier and waiting for a descriptor are still
        // served: they retry as before, starting with the descriptors the
        // listening sockets free now.
        acceptRetryAtMilliseconds = .max
        if !waitingForDescriptor.isEmpty { retryAccepts(within: 1) }
        cancelAccepts()
        for socket in listenSockets { closeDetached(socket.fd) }
        reportAcceptsEndedIfSo()
    }

    /// Tells the control thread once no accept is left to bring a client in
    /// (a cancelled multishot accept ends with a last completion).
    private func reportAcceptsEndedIfSo() {
        guard !listenSockets.contains(where: \.acceptArmed) else { return }
        mailbox.reportAcceptsEnded()
    }

    func cancelAccepts() {
        for socketIndex in listenSockets.indices where listenSockets[socketIndex].acceptArmed {
            let cancel = ring.nextSubmission()
            io_uring_prep_cancel64(cancel, acceptTag(socketIndex), 0)
            io_uring_sqe_set_data64(cancel, Self.detachedTag)
        }
    }

    private func acceptTag(_ socketIndex: Int) -> UInt64 {
        OperationTag(kind: OperationKind.accept.rawValue, generation: 0, slot: UInt32(socketIndex)).userData
    }
}
