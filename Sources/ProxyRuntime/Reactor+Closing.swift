import CURing
import Glibc
import URing

/// Closing connections: cancel what is in flight, wait for the last
/// completion, then recycle buffers, close both sockets and free the slot.
extension Reactor {
    func closeConnection(_ slot: Int32) {
        let state = table.slots[Int(slot)].state
        guard state == .connecting || state == .forwarding else { return }
        table.slots[Int(slot)].state = .closing
        timers.cancel(slot)
        if table.slots[Int(slot)].server >= 0 {
            let poolIndex = model.listeners[Int(table.slots[Int(slot)].listener)].poolIndex
            load.add(-1, pool: poolIndex, server: Int(table.slots[Int(slot)].server))
        }
        model.listeners[Int(table.slots[Int(slot)].listener)].limit.release()
        model.globalLimit.release()
        guard table.slots[Int(slot)].inFlight > 0 else { return finishIfIdle(slot) }
        // A splice's file is its output; splices from a socket are found by their pipe.
        cancelOperations(on: table.slots[Int(slot)].clientFd, of: slot)
        cancelOperations(on: table.slots[Int(slot)].serverFd, of: slot)
        cancelOperations(on: table.flow(slot, 0).pointee.pipe.write, of: slot)
        cancelOperations(on: table.flow(slot, 1).pointee.pipe.write, of: slot)
    }

    private func cancelOperations(on fd: Int32, of slot: Int32) {
        guard fd >= 0 else { return }
        let cancel = ring.nextSubmission()
        io_uring_prep_cancel_fd(cancel, fd, UInt32(rp_async_cancel_all()))
        track(cancel, .cancel, slot)
    }

    /// Frees a closing slot once no operation of it is in flight.
    func finishIfIdle(_ slot: Int32) {
        guard table.slots[Int(slot)].state == .closing, table.slots[Int(slot)].inFlight == 0 else { return }
        for direction in 0..<2 {
            var buffer = table.flow(slot, direction).pointee.queueHead
            while buffer >= 0 {
                let next = bufferNext[Int(buffer)]
                buffers.recycle(Int(buffer))
                buffer = next
            }
        }
        releasePipes(slot)
        closeDetached(table.slots[Int(slot)].clientFd)
        if table.slots[Int(slot)].serverFd >= 0 { closeDetached(table.slots[Int(slot)].serverFd) }
        table.free(slot)
    }

    /// Timer expiry: close the connection if nothing moved for `idle-timeout`,
    /// otherwise file it again at its real deadline.
    func checkIdle(_ slot: Int32) {
        let state = table.slots[Int(slot)].state
        guard state == .connecting || state == .forwarding else { return }
        let idleTimeout = model.listeners[Int(table.slots[Int(slot)].listener)].idleTimeoutMilliseconds
        let deadline = table.slots[Int(slot)].lastActivityMilliseconds + idleTimeout
        if nowMilliseconds >= deadline {
            logger.debug("closing connection idle for \(idleTimeout)ms")
            closeConnection(slot)
        } else {
            timers.schedule(slot, atMilliseconds: deadline)
        }
    }
}
