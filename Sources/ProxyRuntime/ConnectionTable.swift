/// Preallocated connection slots and their flows, with a free list: opening a
/// connection allocates nothing. A class, so that the reactor holds it as a
/// constant and reaches slots without copies or access bookkeeping.
final class ConnectionTable {
    let capacity: Int
    let slots: UnsafeMutablePointer<ConnectionSlot>
    /// Two flows per slot: `flows[slot * 2 + direction]`.
    let flows: UnsafeMutablePointer<Flow>
    private var firstFree: Int32
    private(set) var occupied = 0

    init(capacity: Int) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        flows = .allocate(capacity: capacity * 2)
        for index in 0..<capacity {
            var slot = ConnectionSlot()
            slot.nextFree = index + 1 < capacity ? Int32(index + 1) : -1
            (slots + index).initialize(to: slot)
        }
        flows.initialize(repeating: Flow(), count: capacity * 2)
        firstFree = capacity > 0 ? 0 : -1
    }

    deinit {
        slots.deallocate()
        flows.deallocate()
    }

    /// A free slot, or nil when the table is full.
    func allocate() -> Int32? {
        guard firstFree >= 0 else { return nil }
        let index = firstFree
        firstFree = slots[Int(index)].nextFree
        occupied += 1
        return index
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
