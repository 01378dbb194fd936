import Foundation
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
        #expect(table.initialized == 2)
    }

    @Test func capacityCostsNoMemoryUntilSlotsAreHandedOut() throws {
        let capacity = 2_000_000  // ~460 MB of slots and flows if written out
        let before = try #require(residentBytes())
        let table = ConnectionTable(capacity: capacity)
        for _ in 0..<1_000 { _ = table.allocate() }
        let grown = try #require(residentBytes()) - before
        #expect(table.initialized == 1_000)
        // Other tests run in this process meanwhile: allow them plenty.
        #expect(grown < 64 << 20, "resident memory grew by \(grown >> 20) MiB")
    }

    private func residentBytes() -> Int? {
        // statm: total and resident size in pages.
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }
}
