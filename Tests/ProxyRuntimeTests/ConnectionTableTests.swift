import Glibc
@testable import ProxyRuntime
import Testing

@Suite struct ConnectionTableTests {
    @Test func allocatesEverySlotOnceThenReportsFull() {
        let table = ConnectionTable(capacity: 3)
        let slots = (0..<3).compactMap { _ in table.allocate() }
        #expect(Set(slots) == [0, 1, 2])
        #expect(table.allocate() == nil)
        #expect(table.occupied == 3)
    }

    /// A connection's two flows fill two cache lines, no more (Flow's layout note).
    @Test func aFlowFitsOneCacheLine() {
        #expect(MemoryLayout<Flow>.stride == 64)
    }

    @Test func freeingResetsTheSlotAndBumpsItsGeneration() {
        let table = ConnectionTable(capacity: 2)
        let slot = table.allocate()!
        table.slots[Int(slot)].clientFd = 9
        table.slots[Int(slot)].inFlight = 3
        table.flow(slot, 1).pointee.queuedBytes = 100
        let generation = table.slots[Int(slot)].generation
        table.free(slot)
        #expect(table.occupied == 0)
        #expect(table.allocate() == slot)
        #expect(table.slots[Int(slot)].generation == generation + 1)
        #expect(table.slots[Int(slot)].clientFd == -1)
        #expect(table.slots[Int(slot)].inFlight == 0)
        #expect(table.flow(slot, 1).pointee.queuedBytes == 0)
    }

    @Test func aFreedSlotIsReusedBeforeANewOneIsTouched() {
        let table = ConnectionTable(capacity: 10)
        let first = table.allocate()!
        _ = table.allocate()!
        table.free(first)
        #expect(table.allocate() == first)
        #expect(table.initializedCount == 2)
    }

    @Test func capacityCostsNoMemoryUntilSlotsAreHandedOut() throws {
        let capacity = 2_000_000  // ~430 MB of slots and flows if written out
        let table = ConnectionTable(capacity: capacity)
        for _ in 0..<1_000 { _ = table.allocate() }
        #expect(table.initializedCount == 1_000)
        // Pages of the table itself that are in memory (not the whole process's, which other tests share).
        let slotBytes = try #require(residentBytes(table.slots, count: capacity))
        let flowBytes = try #require(residentBytes(table.flows, count: capacity * 2))
        let usedBytes = 1_000 * (MemoryLayout<ConnectionSlot>.stride + 2 * MemoryLayout<Flow>.stride)
        #expect(slotBytes + flowBytes < usedBytes + (1 << 20),
                "\(slotBytes >> 10) KiB of slots and \(flowBytes >> 10) KiB of flows resident for 1,000 slots in use")
    }

    private func residentBytes<Element>(_ start: UnsafeMutablePointer<Element>, count: Int) -> Int? {
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let bytes = count * MemoryLayout<Element>.stride
        var pages = [UInt8](repeating: 0, count: (bytes + pageSize - 1) / pageSize)
        guard mincore(UnsafeMutableRawPointer(start), bytes, &pages) == 0 else { return nil }
        return pages.filter { $0 & 1 != 0 }.count * pageSize
    }
}
