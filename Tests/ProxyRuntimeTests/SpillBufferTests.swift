@testable import ProxyRuntime
import Testing

@Suite struct SpillBufferTests {
    private func unsent(_ spill: SpillBuffer) -> [UInt8] {
        guard let bytes = spill.unsentBytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: spill.count))
    }

    private func append(_ bytes: [UInt8], to spill: inout SpillBuffer) {
        let reserved = spill.reserve(adding: bytes.count)
        #expect(reserved)
        bytes.withUnsafeBytes { spill.append($0.baseAddress!, length: $0.count) }
    }

    @Test func keepsBytesInOrderAcrossPartialSendsAndAppends() {
        var spill = SpillBuffer()
        #expect(spill.isEmpty && spill.unsentBytes == nil)
        append(Array(0..<100), to: &spill)
        spill.removeFirst(30)
        // Appending after a partial send moves the 70 unsent bytes to the
        // front of the memory; they must still come first, unchanged.
        append(Array(100..<200), to: &spill)
        #expect(spill.count == 170)
        #expect(unsent(spill) == Array(30..<200))
        spill.removeFirst(169)
        append([7, 8], to: &spill)
        #expect(unsent(spill) == [199, 7, 8])
        spill.release()
    }

    @Test func aFailedReserveKeepsTheBytes() {
        var spill = SpillBuffer()
        append(Array(0..<50), to: &spill)
        spill.removeFirst(20)
        let reserved = spill.reserve(adding: Int.max / 2)
        #expect(!reserved, "4 EiB reserved")
        #expect(unsent(spill) == Array(20..<50))
        append([99], to: &spill)
        #expect(unsent(spill) == Array(20..<50) + [99])
        spill.release()
    }

    @Test func reservingNothingAllocatesNothing() {
        var spill = SpillBuffer()
        let reserved = spill.reserve(adding: 0)
        #expect(reserved)
        #expect(spill.isEmpty && spill.unsentBytes == nil)
    }

    @Test func freesItsMemoryOnceEverythingIsSent() {
        var spill = SpillBuffer()
        append([1, 2, 3], to: &spill)
        spill.removeFirst(3)
        #expect(spill.isEmpty)
        #expect(spill.unsentBytes == nil, "memory kept after the last byte was sent")
        append([4], to: &spill)
        #expect(unsent(spill) == [4])
        spill.release()
        #expect(spill.isEmpty && spill.unsentBytes == nil)
    }
}
