import Glibc

/// Taking provided buffers back from stalled flows.
///
/// The provided buffers are shared by every connection of a reactor, and a
/// queued buffer returns only once its bytes are sent. A destination that
/// stops reading (a client that never reads its download, a server that
/// never reads its upload) would keep its flow's queue, up to the high-water
/// mark, for as long as it stays open: a few hundred such connections would
/// hold every buffer and stall everyone else on the reactor. So would clients
/// whose request waits on a connect to a server that does not answer, until
/// `connect-timeout` (for each retry).
///
/// So when fewer than a quarter of the buffers are free, at most once per
/// `reclaimIntervalMilliseconds`, each flow whose send has waited that long
/// without progress has its send cancelled and its queue copied out into
/// memory of its own (its spill), and the buffers go back to the ring; a
/// client whose connect has waited that long has its queue copied out at
/// once (nothing is sent before the connect completes). The
/// copy is never larger than the flow's queue, so memory per connection stays
/// bounded; it costs a copy only on the slow path, and only under pressure.
extension Reactor {
    static let reclaimIntervalMilliseconds: Int64 = 100
    /// Sends cancelled per round at most: each costs two completions, and the
    /// completion queue holds 16,384. Flows left over wait for the next round.
    static let maxReclaimsPerRound = 1024

    /// Called every loop turn; does something only when buffers are short.
    @inline(__always)
    func reclaimBuffersIfShort() {
        guard buffers.buffersFree < buffers.bufferCount / 4,
              nowMilliseconds - lastReclaimMilliseconds >= Self.reclaimIntervalMilliseconds else { return }
        lastReclaimMilliseconds = nowMilliseconds
        reclaimBuffersFromStalledFlows()
    }

    private func reclaimBuffersFromStalledFlows() {
        let interval = UInt32(Self.reclaimIntervalMilliseconds)
        var cancelled = 0
        var copied = 0
        for index in 0..<table.initializedCount {
            let slot = Int32(index)
            switch table.slots[index].state {
            case .forwarding:
                for direction in 0..<2 {
                    let flow = table.flow(slot, direction)
                    guard flow.pointee.queueHead >= 0, flow.pointee.sendInFlight, !flow.pointee.reclaiming,
                          stamp &- flow.pointee.sendStartedStamp >= interval else { continue }
                    // The send's iovecs point into the buffers: they can be
                    // reused only after its completion, which then does the copy.
                    flow.pointee.reclaiming = true
                    cancelOperation(.send(direction), of: slot)
                    cancelled += 1
                }
            case .connecting:
                let fromClient = table.flow(slot, 0)
                guard fromClient.pointee.queueHead >= 0,
                      stamp &- table.slots[index].connectStartedStamp >= interval,
                      copyQueueOut(fromClient) else { continue }
                copied += 1
            case .free, .closing:
                continue
            }
            if cancelled >= Self.maxReclaimsPerRound { break }
        }
        if cancelled + copied > 0 {
            logger.debug("provided buffers short (\(buffers.buffersFree) of \(buffers.bufferCount) free): copying out the queues of \(cancelled + copied) stalled flows (\(cancelled) once their sends are cancelled)")
        }
    }

    /// Appends the queued buffers' bytes to the flow's spill and recycles the
    /// buffers; false if there was nothing to copy or no memory for it (the
    /// flow then keeps its buffers and a later round retries). Called only
    /// while no send of the flow is in flight.
    @discardableResult
    func copyQueueOut(_ flow: UnsafeMutablePointer<Flow>) -> Bool {
        assert(!flow.pointee.sendInFlight, "copying out buffers an in-flight send may still read")
        guard flow.pointee.queueHead >= 0 else { return false }
        let spill = flow.pointee.makeSpill()
        guard spill.pointee.reserve(adding: flow.pointee.queuedBytes - spill.pointee.count) else {
            if spill.pointee.isEmpty { flow.pointee.dropSpill() }
            return false
        }
        var buffer = Int(flow.pointee.queueHead)
        var offset = Int(flow.pointee.headOffset)
        while buffer >= 0 {
            spill.pointee.append(buffers.address(of: buffer) + offset, length: Int(bufferLength[buffer]) - offset)
            offset = 0
            let next = Int(bufferNext[buffer])
            buffers.recycle(buffer)
            buffer = next
        }
        flow.pointee.queueHead = -1
        flow.pointee.queueTail = -1
        flow.pointee.headOffset = 0
        return true
    }
}
