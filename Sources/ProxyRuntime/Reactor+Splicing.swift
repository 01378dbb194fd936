import CURing
import Glibc
import URing

/// Bulk transfers without a user-space copy: a flow that keeps filling whole
/// buffers switches from recv/send to splice(source → pipe) and
/// splice(pipe → destination), HAProxy's splice-auto idea on io_uring.
///
/// io_uring runs splices on io-wq workers, so each splice costs a hand-off;
/// that pays only for large chunks, hence the switch after several full
/// buffers in a row and the return to recv after several short splice reads.
///
/// Sockets are non-blocking (from accept and socket()) and every splice is
/// SPLICE_F_NONBLOCK: a splice holds its pipe's lock for its whole
/// run, so a read splice that slept waiting for data would block the write
/// splice of the same pipe, and with it the peer that is to send that data.
/// A splice that would block ends with -EAGAIN instead, and a poll on the
/// socket says when to try again. Read and write splices then overlap freely.
extension Reactor {
    /// Called for every chunk received by recv: counts full buffers in a row
    /// and asks for splicing when there have been enough.
    @inline(__always)
    func noteReadSize(_ size: Int, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard size == buffers.bufferSize else {
            flow.pointee.consecutiveFullReads = 0
            return
        }
        flow.pointee.consecutiveFullReads &+= 1
        guard flow.pointee.consecutiveFullReads >= Self.fullReadsBeforeSplice, !flow.pointee.spliceRequested,
              pipes.inUse < pipes.capacity else { return }
        flow.pointee.spliceRequested = true
        if flow.pointee.receiving && !flow.pointee.paused { pauseReceive(slot, direction: direction) }
    }

    func startSplicing(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceRequested = false
        flow.pointee.consecutiveFullReads = 0
        guard let pipe = pipes.acquire() else {
            return resumeReceiveIfReady(slot, direction: direction)
        }
        flow.pointee.splicing = true
        flow.pointee.leavingSplice = false
        flow.pointee.consecutiveShortSplices = 0
        flow.pointee.pipe = pipe
        continueSplicing(slot, direction: direction)
    }

    private func spliceIn(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, sourceFd(slot, direction), -1, flow.pointee.pipe.write, -1,
                             UInt32(flow.pointee.pipe.capacity - flow.pointee.pipeBytes), Self.spliceFlags)
        track(sqe, .spliceIn(direction), slot)
        flow.pointee.spliceInInFlight = true
    }

    private func spliceOut(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let destination = flow.pointee.abandoned ? discardFd : destinationFd(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, flow.pointee.pipe.read, -1, destination, -1,
                             UInt32(flow.pointee.pipeBytes), Self.spliceFlags)
        track(sqe, .spliceOut(direction), slot)
        flow.pointee.spliceOutInFlight = true
    }

    /// A splice found the socket not ready: poll it, and splice again when it is.
    private func awaitReadiness(of fd: Int32, events: Int32, _ kind: OperationKind, slot: Int32) {
        let sqe = ring.nextSubmission()
        io_uring_prep_poll_add(sqe, fd, UInt32(events))
        track(sqe, kind, slot)
    }

    func splicedIn(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceInInFlight = false
        // Account first, whatever the state: the pipe may go back to the pool.
        if result > 0 { flow.pointee.pipeBytes += result }
        guard table.slots[Int(slot)].state == .forwarding else { return }
        switch result {
        case 0:
            flow.pointee.sourceClosed = true
            flow.pointee.leavingSplice = true
        case 1...:
            // (Bytes an abandoned flow drops are not activity: see `abandon`.)
            if !flow.pointee.abandoned { table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds }
            noteSpliceSize(Int(result), flow: flow)
        case -EAGAIN where flow.pointee.pipeBytes > 0 && flow.pointee.spliceOutInFlight:
            // EAGAIN says the source has nothing, or the pipe has no room: a
            // pipe counts its fill in slots, one per piece of socket data, so
            // pieces that lie apart in memory (small segments) fill its 256
            // slots long before its byte capacity. A poll of the source would
            // find it readable at once and the read would fail again, on and
            // on, while the destination does not read. The write splice under
            // way makes the room: the read waits for it.
            flow.pointee.spliceInAwaitsRoom = true
        case -EAGAIN:
            flow.pointee.spliceInInFlight = true
            awaitReadiness(of: sourceFd(slot, direction), events: POLLIN,
                           .sourceReadable(direction), slot: slot)
        case -EINTR:
            break
        case _ where Self.isPeerFailure(result):
            // What the pipe holds still goes out, then the end of the stream.
            flow.pointee.leavingSplice = true
            sourceFailed(slot, direction: direction)
            guard table.slots[Int(slot)].state == .forwarding else { return }
        default:
            return closeConnection(slot)
        }
        continueSplicing(slot, direction: direction)
    }

    func splicedOut(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceOutInFlight = false
        if result > 0 {
            flow.pointee.pipeBytes -= result
            flow.pointee.spliceInAwaitsRoom = false
            flow.pointee.roomWaits = 0
        }
        guard table.slots[Int(slot)].state == .forwarding else { return }
        switch result {
        case 1...:
            if !flow.pointee.abandoned { table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds }
        case -EAGAIN:
            flow.pointee.spliceOutInFlight = true
            awaitReadiness(of: destinationFd(slot, direction), events: POLLOUT,
                           .destinationWritable(direction), slot: slot)
        case -EINTR:
            break
        case _ where Self.isPeerFailure(result):
            // From now on the pipe empties into /dev/null (see `spliceOut`).
            abandon(slot, direction: direction)
            guard table.slots[Int(slot)].state == .forwarding else { return }
        default:
            return closeConnection(slot)
        }
        continueSplicing(slot, direction: direction)
    }

    /// A polled socket is ready (or failed: the splice will say how), or a
    /// wait for room at a destination is over.
    func spliceReadinessArrived(_ kind: OperationKind, events: Int32, slot: Int32) {
        let flow = table.flow(slot, kind.direction)
        if kind == .clientReadable || kind == .serverReadable {
            flow.pointee.spliceInInFlight = false
        } else {
            flow.pointee.spliceOutInFlight = false
        }
        guard table.slots[Int(slot)].state == .forwarding else { return }
        // A poll for room that ends without POLLOUT: see `waitForRoom`.
        let ready = Int32(POLLOUT) | Int32(POLLERR) | Int32(POLLHUP)
        if kind == .destinationWritable(kind.direction) && events > 0 && events & ready == 0 {
            waitForRoom(kind, slot: slot, flow: flow)
            flow.pointee.spliceOutInFlight = true
            return
        }
        continueSplicing(slot, direction: kind.direction)
    }

    /// Several short reads in a row: the transfer is no longer bulk, and
    /// recv serves it more cheaply.
    private func noteSpliceSize(_ size: Int, flow: UnsafeMutablePointer<Flow>) {
        guard size < buffers.bufferSize else {
            flow.pointee.consecutiveShortSplices = 0
            return
        }
        flow.pointee.consecutiveShortSplices &+= 1
        if flow.pointee.consecutiveShortSplices >= Self.shortSplicesBeforeRecv { flow.pointee.leavingSplice = true }
    }

    /// Writes out what the pipe holds, reads more while it has room, and once
    /// splicing is over and the pipe is empty, hands the flow back to recv.
    private func continueSplicing(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        if flow.pointee.pipeBytes > 0 && !flow.pointee.spliceOutInFlight {
            spliceOut(slot, direction: direction)
        }
        guard !flow.pointee.spliceInInFlight, !flow.pointee.spliceInAwaitsRoom else { return }
        if !flow.pointee.leavingSplice {
            if flow.pointee.pipeBytes < flow.pointee.pipe.capacity { spliceIn(slot, direction: direction) }
            return
        }
        guard flow.pointee.isDrained else { return }
        pipes.release(flow.pointee.pipe)
        flow.pointee.pipe = .none
        flow.pointee.splicing = false
        if flow.pointee.sourceClosed {
            passOnEndOfStreamIfDrained(slot, direction: direction)
        } else {
            resumeReceiveIfReady(slot, direction: direction)
        }
    }

    /// Gives a closed connection's pipes back to the pool, or closes them
    /// when they may still hold bytes that the next user must never see.
    func releasePipes(_ slot: Int32) {
        for direction in 0..<2 {
            let flow = table.flow(slot, direction)
            guard flow.pointee.pipe.read >= 0 else { continue }
            if flow.pointee.pipeBytes == 0 && PipePool.isEmpty(flow.pointee.pipe) {
                pipes.release(flow.pointee.pipe)
            } else {
                pipes.discard()
                closeDetached(flow.pointee.pipe.read)
                closeDetached(flow.pointee.pipe.write)
            }
        }
    }
}
