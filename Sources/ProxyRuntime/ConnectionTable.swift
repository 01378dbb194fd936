/// Connection slots and their flows in reserved memory, with a free list:
/// opening a connection allocates nothing. Slots are initialised the first
/// time they are handed out, so pages past the highest slot ever used stay
/// untouched (see `ReservedMemory`). A class, so that the reactor holds it as
/// a constant and reaches slots without copies or access bookkeeping.
final class ConnectionTable {
    let capacity: Int
    let slots: UnsafeMutablePointer<ConnectionSlot>
    /// Two flows per slot: `flows[slot * 2 + direction]`.
    let flows: UnsafeMutablePointer<Flow>
    /// Freed slots, most recent first: reusing them keeps the touched part small.
    private var firstFree: Int32 = -1
    /// Slots below this index have been handed out at least once.
    private(set) var initializedCount = 0
    private(set) var occupied = 0

    init(capacity: Int) {
        self.capacity = capacity
        slots = ReservedMemory.reserve(ConnectionSlot.self, capacity: capacity)
        flows = ReservedMemory.reserve(Flow.self, capacity: capacity * 2)
    }

    deinit {
        ReservedMemory.release(slots, capacity: capacity)
        ReservedMemory.release(flows, capacity: capacity * 2)
    }

    /// A free slot, or nil when the table is full.
    func allocate() -> Int32? {
        if firstFree >= 0 {
            let index = firstFree
            firstFree = slots[Int(index)].nextFree
            occupied += 1
            return index
        }
        guard initializedCount < capacity else { return nil }
        let index = initializedCount
        (slots + index).initialize(to: ConnectionSlot())
        (flows + index * 2).initialize(repeating: Flow(), count: 2)
        initializedCount += 1
        occupied += 1
        return Int32(index)
    }

    func free(_ index: Int32) {
        let slot = slots + Int(index)
        let generation = slot.pointee.generation &+ 1
        slot.pointee = ConnectionSlot()
        slot.pointee.generation = generation
        slot.pointee.nextFree = firstFree
        flows[Int(index) * 2] = Flow()
        flows[Int(index) * 2 + 1] = Flow()
        firstFree = index
        occupied -= 1
    }

    @inline(__always)
    func flow(_ index: Int32, _ direction: Int) -> UnsafeMutablePointer<Flow> {
        flows + (Int(index) &* 2 &+ direction)
    }
}
