import CURing
import Glibc
import Testing
import URing

/// The uring layer against the real kernel: these fail, not skip, when io_uring does not work.
@Suite struct RingTests {
    @Test func kernelSupportsEveryRequiredOperation() throws {
        let ring = try Ring(entries: 8, completionEntries: 32)
        #expect(RingProbe.missingOperations(on: ring).isEmpty)
    }

    @Test func multishotRecvFillsProvidedBuffersInOrder() throws {
        let ring = try Ring(entries: 8, completionEntries: 64)
        let buffers = try ProvidedBufferRing(ring: ring, groupID: 3, bufferSize: 64, bufferCount: 4)
        let pair = try SocketPair()
        armMultishotRecv(on: ring, fd: pair.receiver, group: 3, userData: 42)

        var received: [UInt8] = []
        var stillArmed = true
        for message in ["first", "second", "third"] {
            _ = message.withCString { send(pair.sender, $0, strlen($0), 0) }
            ring.submitAndWait(timeoutNanoseconds: 1_000_000_000)
            ring.drainCompletions { completion in
                #expect(completion.pointee.user_data == 42)
                #expect(completion.pointee.res > 0)
                stillArmed = completion.pointee.hasMore
                guard let id = completion.pointee.bufferID else {
                    Issue.record("completion without a provided buffer")
                    return
                }
                buffers.markTaken()
                let bytes = UnsafeRawBufferPointer(start: buffers.address(of: id), count: Int(completion.pointee.res))
                received += bytes
                buffers.recycle(id)
            }
        }
        #expect(String(decoding: received, as: UTF8.self) == "firstsecondthird")
        #expect(stillArmed)
        #expect(buffers.buffersInUse == 0)
    }

    @Test func emptyBufferRingEndsTheMultishotWithENOBUFS() throws {
        let ring = try Ring(entries: 8, completionEntries: 64)
        let buffers = try ProvidedBufferRing(ring: ring, groupID: 0, bufferSize: 16, bufferCount: 1)
        let pair = try SocketPair()
        armMultishotRecv(on: ring, fd: pair.receiver, group: 0, userData: 0)

        var results: [Int32] = []
        var ended = false
        for _ in 0..<4 where !ended {
            _ = "0123456789abcdef".withCString { send(pair.sender, $0, 16, 0) }
            ring.submitAndWait(timeoutNanoseconds: 200_000_000)
            ring.drainCompletions { completion in
                results.append(completion.pointee.res)
                if completion.pointee.bufferID != nil { buffers.markTaken() }
                ended = ended || !completion.pointee.hasMore
            }
        }
        #expect(results.first == 16)
        #expect(results.last == -ENOBUFS)
        #expect(ended)
        #expect(buffers.buffersFree == 0)
    }

    /// The probe agrees with what a capped multishot recv does on this
    /// kernel: either it is rejected (EINVAL), or it ends without
    /// IORING_CQE_F_MORE at the completion that reaches the cap.
    @Test func probeForCappedMultishotReceivesMatchesTheKernel() throws {
        let ring = try Ring(entries: 8, completionEntries: 64)
        let buffers = try ProvidedBufferRing(ring: ring, groupID: 1, bufferSize: 64, bufferCount: 8)
        let pair = try SocketPair()
        armMultishotRecv(on: ring, fd: pair.receiver, group: 1, userData: 7, limit: 100)

        var results: [(result: Int32, hasMore: Bool)] = []
        let chunk = [UInt8](repeating: 0x61, count: 64)
        for _ in 0..<3 where results.last?.hasMore ?? true {
            _ = chunk.withUnsafeBytes { send(pair.sender, $0.baseAddress, 64, 0) }
            ring.submitAndWait(timeoutNanoseconds: 200_000_000)
            ring.drainCompletions { completion in
                if let id = completion.pointee.bufferID {
                    buffers.markTaken()
                    buffers.recycle(id)
                }
                results.append((completion.pointee.res, completion.pointee.hasMore))
            }
        }
        let capped = results.map(\.result) == [64, 64] && results.map(\.hasMore) == [true, false]
        let rejected = results.count == 1 && results[0].result == -EINVAL
        #expect(capped || rejected, "completions: \(results)")
        #expect(RingProbe.capsMultishotReceives() == capped)
    }
}

private func armMultishotRecv(on ring: Ring, fd: Int32, group: UInt16, userData: UInt64, limit: UInt32? = nil) {
    let sqe = ring.nextSubmission()
    io_uring_prep_recv_multishot(sqe, fd, nil, 0, 0)
    sqe.pointee.selectBuffer(group: group)
    if let limit { sqe.pointee.limitMultishotReceive(toBytes: limit) }
    io_uring_sqe_set_data64(sqe, userData)
}

/// A connected AF_UNIX stream pair, closed on deinit.
private final class SocketPair {
    let receiver: Int32
    let sender: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw RingError("socketpair", errno: errno)
        }
        receiver = fds[0]
        sender = fds[1]
    }

    deinit {
        close(receiver)
        close(sender)
    }
}
