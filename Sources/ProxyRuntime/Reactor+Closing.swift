import CURing
import Glibc
import URing

/// Closing connections: cancel what is in flight, wait for the last
/// completion, then recycle buffers, free spills, close both sockets and
/// free the slot.
extension Reactor {
    func closeConnection(_ slot: Int32) {
        let state = table.slots[Int(slot)].state
        guard state == .connecting || state == .forwarding else { return }
        table.slots[Int(slot)].state = .closing
        timers.cancel(slot)
        if table.slots[Int(slot)].server >= 0 {
            let poolIndex = model.listeners[Int(table.slots[Int(slot)].listener)].poolIndex
            model.pools[poolIndex].load[Int(table.slots[Int(slot)].server)].add(-1)
        }
        model.listeners[Int(table.slots[Int(slot)].listener)].limit.release()
        model.globalLimit.release()
        guard table.slots[Int(slot)].inFlight > 0 else { return finishIfIdle(slot) }
        // Cancel, each by its own tag, what could otherwise wait forever. (A
        // cancel by descriptor would scan the ring's whole poll table.)
        // Splices are non-blocking and end by themselves, but the polls that
        // wait to retry them do not; a cancel that finds its operation
        // already finished just reports ENOENT.
        if state == .connecting { cancelOperation(.connect, of: slot) }
        for direction in 0..<2 {
            let flow = table.flow(slot, direction)
            if flow.pointee.receiving { cancelOperation(.receive(direction), of: slot) }
            if flow.pointee.sendInFlight { cancelOperation(.send(direction), of: slot) }
            if flow.pointee.spliceInInFlight { cancelOperation(.sourceReadable(direction), of: slot) }
            if flow.pointee.spliceOutInFlight { cancelOperation(.destinationWritable(direction), of: slot) }
        }
    }

    /// Cancels the operation of `kind` of `slot`, if it is still in flight.
    func cancelOperation(_ kind: OperationKind, of slot: Int32) {
        let cancel = ring.nextSubmission()
        io_uring_prep_cancel64(cancel, tag(kind, slot), 0)
        track(cancel, .cancel, slot)
    }

    /// Frees a closing slot once no operation of it is in flight.
    func finishIfIdle(_ slot: Int32) {
        guard table.slots[Int(slot)].state == .closing, table.slots[Int(slot)].inFlight == 0 else { return }
        for direction in 0..<2 { dropQueue(of: table.flow(slot, direction)) }
        releasePipes(slot)
        closeDetached(table.slots[Int(slot)].clientFd)
        if table.slots[Int(slot)].serverFd >= 0 { closeDetached(table.slots[Int(slot)].serverFd) }
        table.free(slot)
        // The closes above run with the next submit: clients waiting for a
        // descriptor try again in the turn after it.
        if !waitingForDescriptor.isEmpty {
            retryAccepts(within: 1)
        }
    }

    /// Timer expiry: close the connection if nothing moved for `idle-timeout`,
    /// otherwise file it again at its real deadline.
    func checkIdle(_ slot: Int32) {
        let state = table.slots[Int(slot)].state
        guard state == .connecting || state == .forwarding else { return }
        let timeout = idleTimeout(of: slot)
        let deadline = table.slots[Int(slot)].lastActivityMilliseconds + timeout
        if nowMilliseconds >= deadline {
            logger.debug("closing connection idle for \(timeout)ms")
            closeConnection(slot)
        } else {
            timers.schedule(slot, atMilliseconds: deadline)
        }
    }

    /// `idle-timeout`; but once a lingering close has nothing left to
    /// deliver (one direction abandoned, the other finished), at most
    /// `lingerMilliseconds` from the last byte delivered for the live peer to
    /// end its side, however much it still sends (dropped): a hard bound,
    /// where nginx gives 5 s per read up to 30 s in all (`lingering_timeout`,
    /// `lingering_time`). A peer that neither sends nor closes would
    /// otherwise hold the connection.
    func idleTimeout(of slot: Int32) -> Int64 {
        let idle = model.listeners[Int(table.slots[Int(slot)].listener)].idleTimeoutMilliseconds
        let toServer = table.flow(slot, 0).pointee
        let toClient = table.flow(slot, 1).pointee
        let lingering = (toServer.abandoned && toClient.destinationShut) || (toClient.abandoned && toServer.destinationShut)
        return lingering ? min(idle, Self.lingerMilliseconds) : idle
    }

    /// Files the connection's idle deadline again, after a change that can
    /// bring it forward (a flow abandoned, or one finishing beside an
    /// abandoned one: see `idleTimeout(of:)`).
    func fileIdleDeadline(_ slot: Int32) {
        timers.schedule(slot, atMilliseconds: table.slots[Int(slot)].lastActivityMilliseconds + idleTimeout(of: slot))
    }
}
