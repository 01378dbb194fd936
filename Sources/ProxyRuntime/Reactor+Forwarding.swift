import CURing
import Glibc
import URing

/// Moving bytes: multishot recv into provided buffers on each side, queued
/// per direction, sent in order to the other side, buffers recycled once sent.
///
/// Back-pressure: a direction's recv stops once its queue holds
/// `highWaterBytes`, and is re-armed once the queue drains below
/// `lowWaterBytes`. Where the kernel caps multishot receives, each recv is
/// armed for what the queue may still take, and the kernel ends it there;
/// elsewhere a cancel stops it, which reaches the kernel only at the next
/// submit, after the kernel may have emptied the whole socket buffer into
/// the queue.
extension Reactor {
    @inline(__always)
    func sourceFd(_ slot: Int32, _ direction: Int) -> Int32 {
        direction == 0 ? table.slots[Int(slot)].clientFd : table.slots[Int(slot)].serverFd
    }

    @inline(__always)
    func destinationFd(_ slot: Int32, _ direction: Int) -> Int32 {
        direction == 0 ? table.slots[Int(slot)].serverFd : table.slots[Int(slot)].clientFd
    }

    func armReceive(_ slot: Int32, direction: Int) {
        let sqe = ring.nextSubmission()
        io_uring_prep_recv_multishot(sqe, sourceFd(slot, direction), nil, 0, 0)
        sqe.pointee.selectBuffer(group: Self.bufferGroup)
        let flow = table.flow(slot, direction)
        if receivesAreCapped {
            sqe.pointee.limitMultishotReceive(toBytes: UInt32(max(highWaterBytes - flow.pointee.queuedBytes, 1)))
        }
        track(sqe, .receive(direction), slot)
        flow.pointee.receiving = true
        flow.pointee.paused = false
        flow.pointee.starved = false
    }

    func received(_ completion: io_uring_cqe, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        if !completion.hasMore {
            table.slots[Int(slot)].inFlight -= 1
            flow.pointee.receiving = false
        }
        let result = completion.res
        let bufferID = completion.bufferID
        // The client's recv runs while the server connects: what it brings
        // waits in the queue and goes out as soon as the connect completes.
        let state = table.slots[Int(slot)].state
        let open = state == .forwarding || state == .connecting
        if let bufferID {
            buffers.markTaken()
            // A buffer that carries no bytes to forward goes straight back.
            if result <= 0 || !open || flow.pointee.abandoned { buffers.recycle(bufferID) }
        }
        guard open else { return }
        if direction == 1 && result >= 0 { serverSpoke(slot, bytes: result > 0) }
        if result > 0 && flow.pointee.abandoned {
            // Read and dropped: see `abandon`.
        } else if result > 0, let bufferID {
            noteReadSize(Int(result), slot: slot, direction: direction)
            enqueue(bufferID, length: result, on: flow)
            table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
            scheduleSend(slot, direction: direction, flow: flow)
            if flow.pointee.queuedBytes >= highWaterBytes && flow.pointee.receiving && !flow.pointee.paused {
                pauseReceive(slot, direction: direction)
            }
        } else if result == 0 {
            flow.pointee.sourceClosed = true
            passOnEndOfStreamIfDrained(slot, direction: direction)
        } else if result == -ENOBUFS {
            flow.pointee.starved = true
            starved.append(reference(slot, direction: direction))
        } else if Self.isPeerFailure(result) {
            return sourceFailed(slot, direction: direction)
        } else if result != -ECANCELED && result != -EAGAIN {
            // (EAGAIN: as for sends, on a non-blocking socket; the recv is
            // armed again below.)
            return closeConnection(slot)
        }
        if !flow.pointee.receiving { resumeReceiveIfReady(slot, direction: direction) }
    }

    /// A socket error that says the peer is gone (it reset the connection)
    /// while what it sent before is still to be delivered; other errors
    /// (out of memory, say) close the connection at once.
    @inline(__always)
    static func isPeerFailure(_ result: Int32) -> Bool { result == -ECONNRESET || result == -EPIPE }

    /// The source of `direction` failed (a reset, say) after everything it
    /// sent before: that still goes to the destination, followed by the end
    /// of the stream, as for an EOF (a server's early answer to an upload it
    /// refuses, the last of a download). The other direction, which goes to
    /// the failed socket, is abandoned.
    func sourceFailed(_ slot: Int32, direction: Int) {
        guard table.slots[Int(slot)].state == .forwarding else { return closeConnection(slot) }
        table.flow(slot, direction).pointee.sourceClosed = true
        abandon(slot, direction: 1 - direction)
        passOnEndOfStreamIfDrained(slot, direction: direction)
    }

    /// The destination of `direction` failed: what the flow holds or still
    /// receives can go nowhere, and is dropped. Its source is still read
    /// until it ends (a lingering close, as HAProxy and nginx do): closing a
    /// socket with unread bytes resets it, and a reset would throw away the
    /// other direction's last bytes, those of the failed peer, before the
    /// live peer has read them. Bytes dropped do not count as activity, so
    /// `idle-timeout` bounds the wait. A splicing flow splices into
    /// /dev/null instead.
    func abandon(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard !flow.pointee.abandoned else { return }
        flow.pointee.abandoned = true
        flow.pointee.spliceRequested = false
        // A poll for room at the failed socket, or a timed wait for it, might
        // not end; a send or a splice in flight ends by itself.
        if flow.pointee.spliceOutInFlight && flow.pointee.pipeBytes > 0 {
            cancelOperation(.destinationWritable(direction), of: slot)
        }
        // With a send in flight, its completion does the rest.
        if !flow.pointee.sendInFlight { dropAbandoned(slot, direction: direction) }
    }

    /// Drops what an abandoned flow holds, and keeps reading its source.
    private func dropAbandoned(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.reclaiming = false
        dropQueue(of: flow)
        passOnEndOfStreamIfDrained(slot, direction: direction)
        guard table.slots[Int(slot)].state == .forwarding else { return }
        if !flow.pointee.receiving && !flow.pointee.splicing { resumeReceiveIfReady(slot, direction: direction) }
        fileIdleDeadline(slot)
    }

    /// Recycles a flow's queued buffers and frees its spill; no send may be in flight.
    func dropQueue(of flow: UnsafeMutablePointer<Flow>) {
        var buffer = flow.pointee.queueHead
        while buffer >= 0 {
            let next = bufferNext[Int(buffer)]
            buffers.recycle(Int(buffer))
            buffer = next
        }
        flow.pointee.queueHead = -1
        flow.pointee.queueTail = -1
        flow.pointee.headOffset = 0
        flow.pointee.queuedBytes = 0
        flow.pointee.dropSpill()
    }

    @inline(__always)
    private func enqueue(_ bufferID: Int, length: Int32, on flow: UnsafeMutablePointer<Flow>) {
        bufferLength[bufferID] = length
        bufferNext[bufferID] = -1
        if flow.pointee.queueTail >= 0 {
            bufferNext[Int(flow.pointee.queueTail)] = Int32(bufferID)
        } else {
            flow.pointee.queueHead = Int32(bufferID)
        }
        flow.pointee.queueTail = Int32(bufferID)
        flow.pointee.queuedBytes += Int(length)
    }

    /// Sends are prepared after the whole batch of completions is handled, so
    /// chunks that arrived together (an HTTP response's header and body, say)
    /// leave in one sendmsg, as one TCP segment, instead of one send each.
    @inline(__always)
    func scheduleSend(_ slot: Int32, direction: Int, flow: UnsafeMutablePointer<Flow>) {
        guard !flow.pointee.sendScheduled, !flow.pointee.sendInFlight else { return }
        flow.pointee.sendScheduled = true
        scheduledSends.append(reference(slot, direction: direction))
    }

    /// Prepares the sends scheduled while handling the last batch of completions.
    func flushScheduledSends() {
        for entry in scheduledSends where isCurrent(entry) {
            let direction = Int(entry.direction)
            table.flow(entry.slot, direction).pointee.sendScheduled = false
            guard table.slots[Int(entry.slot)].state == .forwarding else { continue }
            sendNext(entry.slot, direction: direction)
        }
        scheduledSends.removeAll(keepingCapacity: true)
    }

    /// Starts sending the queue unless a send is already in flight: one send
    /// per direction keeps the bytes in order. Bytes copied out of the buffers
    /// (a spill) go first, in a send of their own. Otherwise up to
    /// `maxSendVectors` queued buffers go out in one sendmsg; its iovecs live in
    /// storage keyed by the head buffer's id, which no other send can use while
    /// this one is in flight.
    ///
    /// Always sendmsg, never IORING_OP_SEND, even for one buffer: a send that
    /// io_uring hands to an io-wq worker (woken without room by the peer's
    /// FIN) goes to the socket without the O_NONBLOCK that the sendmsg path
    /// honours, and blocks that worker until the peer reads: one kernel
    /// thread per half-closed client that stops reading. (No rate difference
    /// measured between the two on keep-alive traffic.)
    private func sendNext(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard !flow.pointee.sendInFlight else { return }
        let destination = destinationFd(slot, direction)
        let sqe: UnsafeMutablePointer<io_uring_sqe>
        if let spill = flow.pointee.spill {
            let flags = sendFlags(endingStream: flow.pointee.sourceClosed && flow.pointee.queueHead < 0)
            sqe = ring.nextSubmission()
            io_uring_prep_sendmsg(sqe, destination, spill.pointee.sendHeader(), UInt32(flags))
        } else {
            guard flow.pointee.queueHead >= 0 else { return }
            let head = Int(flow.pointee.queueHead)
            let vectors = sendVectors + head * Self.maxSendVectors
            var count = 0
            var buffer = head
            var offset = Int(flow.pointee.headOffset)
            while buffer >= 0 && count < Self.maxSendVectors {
                vectors[count] = iovec(iov_base: buffers.address(of: buffer) + offset,
                                       iov_len: Int(bufferLength[buffer]) - offset)
                offset = 0
                buffer = Int(bufferNext[buffer])
                count += 1
            }
            let flags = sendFlags(endingStream: flow.pointee.sourceClosed && buffer < 0)
            let message = sendMessages + head
            message.pointee = msghdr()
            message.pointee.msg_iov = vectors
            message.pointee.msg_iovlen = count
            sqe = ring.nextSubmission()
            io_uring_prep_sendmsg(sqe, destination, message, UInt32(flags))
        }
        track(sqe, .send(direction), slot)
        flow.pointee.sendInFlight = true
        flow.pointee.sendStartedStamp = stamp
    }

    /// The last bytes before an EOF already received are held back (MSG_MORE)
    /// for the shutdown that follows this send's completion: the FIN then
    /// leaves in the same segment as the data, one packet and one ACK fewer
    /// per connection (an HTTP response with Connection: close).
    @inline(__always)
    private func sendFlags(endingStream: Bool) -> Int32 {
        Int32(MSG_NOSIGNAL | (endingStream ? MSG_MORE : 0))
    }

    func sent(_ result: Int32, slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.sendInFlight = false
        guard table.slots[Int(slot)].state == .forwarding else { return }
        guard !flow.pointee.abandoned else { return dropAbandoned(slot, direction: direction) }
        let reclaiming = flow.pointee.reclaiming
        flow.pointee.reclaiming = false
        // Two ways a send ends having sent nothing, without harm to the connection:
        // - cancelled to reclaim its buffers: without MSG_WAITALL, io_uring
        //   completes a send at its first progress (one interrupted on an io-wq
        //   worker ends with EINTR instead);
        // - EAGAIN (sockets are non-blocking): a wake-up without room (the
        //   peer's FIN wakes every waiter) makes io_uring retry the send once
        //   more after its poll, then hand it to io-wq, where a non-blocking
        //   socket does not wait. (A blocking one held an io-wq thread per
        //   such connection until the peer read.) The send starts again
        //   after a timed wait (`waitForRoom`), whose end is ETIME.
        // Either way the bytes are still queued, and the send starts again.
        let sentNothing = result == -EAGAIN || result == -ETIME
            || (reclaiming && (result == -ECANCELED || result == -EINTR))
        guard result > 0 || sentNothing else {
            return Self.isPeerFailure(result) ? abandon(slot, direction: direction) : closeConnection(slot)
        }
        if result > 0 {
            table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
            consumeSent(Int(result), from: flow)
            flow.pointee.roomWaits = 0
        }
        if reclaiming { copyQueueOut(flow) }
        if flow.pointee.queuedBytes > 0 && result == -EAGAIN && !reclaiming {
            // Waiting counts as the send in flight: nothing overtakes it, and
            // the reclaim sweep sees it as a stalled send.
            waitForRoom(.send(direction), slot: slot, flow: flow)
            flow.pointee.sendInFlight = true
            flow.pointee.sendStartedStamp = stamp
        } else if flow.pointee.queuedBytes > 0 {
            scheduleSend(slot, direction: direction, flow: flow)
        } else {
            flow.pointee.queueTail = -1
            passOnEndOfStreamIfDrained(slot, direction: direction)
        }
        if !flow.pointee.receiving { resumeReceiveIfReady(slot, direction: direction) }
    }

    /// io_uring adds EPOLLRDHUP to every poll, so once a destination's peer
    /// has half-closed, a wait for room there (a send's own poll, or a poll
    /// before a write splice) ends at once without any, and the write fails
    /// again, on and on, while that peer does not read: a core's worth of
    /// CPU. There is no poll for room alone: wait a while instead, 1 ms
    /// doubling to 1 s, until a write moves (which resets `roomWaits`). The
    /// long end keeps thousands of such peers cheap (each costs a failed
    /// write a second); a peer that reads again after a long stall waits
    /// at most that second.
    func waitForRoom(_ kind: OperationKind, slot: Int32, flow: UnsafeMutablePointer<Flow>) {
        let wait = Int(flow.pointee.roomWaits)
        flow.pointee.roomWaits = UInt8(min(wait + 1, Self.roomWaitTimes.count - 1))
        let sqe = ring.nextSubmission()
        io_uring_prep_timeout(sqe, Self.roomWaitTimes.baseAddress! + wait, 0, 0)
        track(sqe, kind, slot)
    }

    /// 1, 2, 4 … 512 ms, then 1 s: read by the kernel when a wait is submitted.
    nonisolated(unsafe) static let roomWaitTimes: UnsafeMutableBufferPointer<__kernel_timespec> = {
        let milliseconds: [Int64] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
        let times = UnsafeMutableBufferPointer<__kernel_timespec>.allocate(capacity: milliseconds.count)
        for (index, milliseconds) in milliseconds.enumerated() {
            times[index] = __kernel_timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
        }
        return times
    }()

    /// Drops `count` sent bytes from the front of the flow: from its spill if
    /// the send came from there, otherwise from its queue, recycling every
    /// buffer sent in full.
    private func consumeSent(_ count: Int, from flow: UnsafeMutablePointer<Flow>) {
        flow.pointee.queuedBytes -= count
        // A spill is made only between sends, and `sendNext` sends it first:
        // if there is one, this send came from it.
        if let spill = flow.pointee.spill {
            spill.pointee.removeFirst(count)
            if spill.pointee.isEmpty { flow.pointee.dropSpill() }
            return
        }
        var unaccounted = Int32(count)
        while unaccounted > 0 {
            let head = Int(flow.pointee.queueHead)
            let left = bufferLength[head] - flow.pointee.headOffset
            guard unaccounted >= left else {
                flow.pointee.headOffset += unaccounted
                break
            }
            unaccounted -= left
            flow.pointee.queueHead = bufferNext[head]
            flow.pointee.headOffset = 0
            buffers.recycle(head)
        }
    }

    func pauseReceive(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        flow.pointee.paused = true
        cancelOperation(.receive(direction), of: slot)
    }

    /// Re-arms the source's recv when it stopped (paused, or ended by the
    /// kernel) and nothing holds it back any more; or, when splicing was
    /// requested, starts it once everything received so far is delivered.
    func resumeReceiveIfReady(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard table.slots[Int(slot)].state == .forwarding, !flow.pointee.receiving, !flow.pointee.splicing,
              !flow.pointee.sourceClosed, !flow.pointee.starved else { return }
        if flow.pointee.spliceRequested {
            if flow.pointee.isDrained { startSplicing(slot, direction: direction) }
            return
        }
        guard flow.pointee.queuedBytes <= lowWaterBytes else { return }
        armReceive(slot, direction: direction)
    }

    /// When the source has sent EOF and everything before it is delivered,
    /// shut down our write side towards the destination (half-close), and
    /// close the connection once both directions are finished.
    ///
    /// shutdown(2) is called directly, not through the ring: the kernel
    /// always hands IORING_OP_SHUTDOWN to an io-wq worker thread, a thread
    /// wake-up per connection, while shutting down a TCP socket's write side
    /// never blocks (it queues a FIN).
    func passOnEndOfStreamIfDrained(_ slot: Int32, direction: Int) {
        let flow = table.flow(slot, direction)
        guard table.slots[Int(slot)].state == .forwarding, flow.pointee.sourceClosed, flow.pointee.isDrained,
              !flow.pointee.destinationShut else { return }
        flow.pointee.destinationShut = true
        let other = table.flow(slot, 1 - direction)
        if other.pointee.destinationShut {
            return closeConnection(slot)
        }
        if other.pointee.abandoned || flow.pointee.abandoned { fileIdleDeadline(slot) }
        // Fails only when the destination is already gone (ENOTCONN); its own
        // recv then reports that. An abandoned flow's destination has failed.
        if !flow.pointee.abandoned { _ = shutdown(destinationFd(slot, direction), Int32(SHUT_WR)) }
    }

    /// Re-arms receives that stopped for want of buffers, now that some are back.
    func resumeStarved() {
        guard buffers.buffersFree >= min(64, max(1, buffers.bufferCount / 8)) else { return }
        // Re-arming never adds to `starved`, so it can be walked in place.
        for entry in starved where isCurrent(entry) {
            let direction = Int(entry.direction)
            let flow = table.flow(entry.slot, direction)
            guard flow.pointee.starved else { continue }
            flow.pointee.starved = false
            resumeReceiveIfReady(entry.slot, direction: direction)
        }
        starved.removeAll(keepingCapacity: true)
    }
}
