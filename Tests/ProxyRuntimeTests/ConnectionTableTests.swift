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
}
