import CURing
import Glibc

/// A provided buffer ring (IORING_REGISTER_PBUF_RING) and the slab behind it.
///
/// The kernel picks a free buffer for each received chunk and reports its id
/// in the completion; the buffer is ours until `recycle` hands it back, which
/// must wait until its bytes have been fully sent. liburing 2.3 lacks
/// `io_uring_setup_buf_ring`, so the ring memory is mmapped here.
public final class ProvidedBufferRing {
    public let groupID: UInt16
    public let bufferSize: Int
    public let bufferCount: Int
    public let slab: UnsafeMutableRawPointer
    private let ring: UnsafeMutablePointer<io_uring_buf_ring>
    private let ringBytes: Int
    private let slabBytes: Int
    private let mask: Int32
    /// Buffers handed out by the kernel and not yet recycled.
    public private(set) var buffersInUse = 0

    public init(ring owner: Ring, groupID: UInt16, bufferSize: Int, bufferCount: Int) throws {
        self.groupID = groupID
        self.bufferSize = bufferSize
        self.bufferCount = bufferCount
        var entries = 1
        while entries < bufferCount { entries <<= 1 }
        ringBytes = entries * MemoryLayout<io_uring_buf>.stride
        slabBytes = bufferSize * bufferCount
        guard let ringMemory = mmap(nil, ringBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0),
              ringMemory != MAP_FAILED else {
            throw RingError("mmap buffer ring", errno: errno)
        }
        guard let slabMemory = mmap(nil, slabBytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0),
              slabMemory != MAP_FAILED else {
            munmap(ringMemory, ringBytes)
            throw RingError("mmap buffer slab", errno: errno)
        }
        ring = ringMemory.assumingMemoryBound(to: io_uring_buf_ring.self)
        slab = slabMemory
        mask = io_uring_buf_ring_mask(UInt32(entries))
        io_uring_buf_ring_init(ring)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: ringMemory))
        registration.ring_entries = UInt32(entries)
        registration.bgid = groupID
        let result = io_uring_register_buf_ring(owner.raw, &registration, 0)
        guard result == 0 else {
            munmap(ringMemory, ringBytes)
            munmap(slabMemory, slabBytes)
            throw RingError("io_uring_register_buf_ring", errno: -result)
        }
        for id in 0..<bufferCount {
            io_uring_buf_ring_add(ring, slab + id * bufferSize, UInt32(bufferSize), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(ring, Int32(bufferCount))
    }

    deinit {
        munmap(UnsafeMutableRawPointer(ring), ringBytes)
        munmap(slab, slabBytes)
    }

    @inline(__always)
    public func address(of bufferID: Int) -> UnsafeMutableRawPointer {
        slab + bufferID * bufferSize
    }

    /// Notes that the kernel filled buffer `bufferID` (a completion carried it).
    @inline(__always)
    public func markTaken() {
        buffersInUse += 1
    }

    /// Hands a buffer back to the kernel for future receives.
    @inline(__always)
    public func recycle(_ bufferID: Int) {
        io_uring_buf_ring_add(ring, address(of: bufferID), UInt32(bufferSize), UInt16(bufferID), mask, 0)
        io_uring_buf_ring_advance(ring, 1)
        buffersInUse -= 1
    }

    public var buffersFree: Int { bufferCount - buffersInUse }
}
