import CURing
import Glibc
import URing

/// Bulk transfers without a user-space copy: a flow that keeps filling whole
/// buffers switches from recv/send to splice(source → pipe) and
/// splice(pipe → destination), HAProxy's splice-auto idea on io_uring.
///
/// io_uring runs splices on io-wq workers, so each splice costs a hand-off;
/// that pays only for large chunks, hence the switch after several full
/// buffers in a row and the return to recv after a short splice read.
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
        flow.pointee.pipe = pipe
        spliceIn(slot, direction: direction)
    }

    private func spliceIn(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, sourceFd(slot, direction), -1, flow.pointee.pipe.write, -1,
                             UInt32(flow.pointee.pipe.capacity), rp_splice_f_move())
        track(sqe, direction == 0 ? .spliceFromClient : .spliceFromServer, slot)
        flow.pointee.spliceInInFlight = true
    }

    private func spliceOut(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, flow.pointee.pipe.read, -1, destinationFd(slot, direction), -1,
                             UInt32(flow.pointee.pipeBytes), rp_splice_f_move())
        track(sqe, direction == 0 ? .spliceToServer : .spliceToClient, slot)
        flow.pointee.spliceOutInFlight = true
    }

    func splicedIn(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceInInFlight = false
        // Account first, whatever the state: the pipe may go back to the pool.
        if result > 0 { flow.pointee.pipeBytes += Int(result) }
        guard table.slots[Int(slot)].state == .forwarding else { return }
        switch result {
        case 0:
            flow.pointee.sourceClosed = true
            flow.pointee.leavingSplice = true
        case 1...:
            table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
            if Int(result) < buffers.bufferSize { flow.pointee.leavingSplice = true }
        case -EINTR, -EAGAIN:
            break
        default:
            return closeConnection(slot)
        }
        continueSplicing(slot, direction: direction)
    }

    func splicedOut(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceOutInFlight = false
        if result > 0 { flow.pointee.pipeBytes -= Int(result) }
        guard table.slots[Int(slot)].state == .forwarding else { return }
        switch result {
        case 1...:
            table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
        case -EINTR, -EAGAIN:
            break
        default:
            return closeConnection(slot)
        }
        continueSplicing(slot, direction: direction)
    }

    /// One splice at a time per flow: a splice holds the pipe's lock for its
    /// whole run, and a read splice waiting for data would block the write
    /// splice of the same pipe, and with it the peer that would send the data.
    /// So: empty the pipe, then read again; once a short read or EOF ended
    /// splicing and the pipe is empty, hand the flow back to recv.
    private func continueSplicing(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard !flow.pointee.spliceInInFlight, !flow.pointee.spliceOutInFlight else { return }
        if flow.pointee.pipeBytes > 0 {
            return spliceOut(slot, direction: direction)
        }
        if !flow.pointee.leavingSplice {
            return spliceIn(slot, direction: direction)
        }
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
