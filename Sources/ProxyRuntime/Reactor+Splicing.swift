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
        flow.pointee.pipeRead = pipe.read
        flow.pointee.pipeWrite = pipe.write
        spliceIn(slot, direction: direction)
    }

    private func spliceIn(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, sourceFd(slot, direction), -1, flow.pointee.pipeWrite, -1,
                             UInt32(PipePool.pipeCapacity - flow.pointee.pipeBytes), rp_splice_f_move())
        track(sqe, direction == 0 ? .spliceFromClient : .spliceFromServer, slot)
        flow.pointee.spliceInInFlight = true
    }

    private func spliceOut(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        let sqe = ring.nextSubmission()
        io_uring_prep_splice(sqe, flow.pointee.pipeRead, -1, destinationFd(slot, direction), -1,
                             UInt32(flow.pointee.pipeBytes), rp_splice_f_move())
        track(sqe, direction == 0 ? .spliceToServer : .spliceToClient, slot)
        flow.pointee.spliceOutInFlight = true
    }

    func splicedIn(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceInInFlight = false
        guard table.slots[Int(slot)].state == .forwarding else { return }
        guard result >= 0 else { return closeConnection(slot) }
        table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
        if result == 0 {
            flow.pointee.sourceClosed = true
            flow.pointee.leavingSplice = true
        } else {
            flow.pointee.pipeBytes += Int(result)
            if Int(result) < buffers.bufferSize { flow.pointee.leavingSplice = true }
        }
        if !flow.pointee.spliceOutInFlight && flow.pointee.pipeBytes > 0 { spliceOut(slot, direction: direction) }
        continueSplicing(slot, direction: direction)
    }

    func splicedOut(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.spliceOutInFlight = false
        guard table.slots[Int(slot)].state == .forwarding else { return }
        guard result > 0 else { return closeConnection(slot) }
        table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
        flow.pointee.pipeBytes -= Int(result)
        if flow.pointee.pipeBytes > 0 { spliceOut(slot, direction: direction) }
        continueSplicing(slot, direction: direction)
    }

    /// Reads more into the pipe while it has room, or, once a short read or
    /// EOF ended splicing and the pipe is empty, hands the flow back to recv.
    private func continueSplicing(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard !flow.pointee.spliceInInFlight else { return }
        if !flow.pointee.leavingSplice {
            if flow.pointee.pipeBytes < PipePool.pipeCapacity { spliceIn(slot, direction: direction) }
            return
        }
        guard flow.pointee.isDrained else { return }
        pipes.release((flow.pointee.pipeRead, flow.pointee.pipeWrite))
        flow.pointee.pipeRead = -1
        flow.pointee.pipeWrite = -1
        flow.pointee.splicing = false
        if flow.pointee.sourceClosed {
            passOnEndOfStreamIfDrained(slot, direction: direction)
        } else {
            resumeReceiveIfReady(slot, direction: direction)
        }
    }

    /// Gives a closed connection's pipes back, or closes those that still hold bytes.
    func releasePipes(_ slot: Int32) {
        for direction in 0..<2 {
            let flow = table.flow(slot, direction)
            guard flow.pointee.pipeRead >= 0 else { continue }
            if flow.pointee.pipeBytes == 0 {
                pipes.release((flow.pointee.pipeRead, flow.pointee.pipeWrite))
            } else {
                pipes.discard()
                closeDetached(flow.pointee.pipeRead)
                closeDetached(flow.pointee.pipeWrite)
            }
        }
    }
}
