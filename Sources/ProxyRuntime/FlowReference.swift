/// One direction of one connection, remembered past the current completion
/// (sends scheduled for the end of the batch, receives starved of buffers).
/// The slot's generation tells a reference to a connection that has since
/// closed, its slot perhaps reused, from a live one.
struct FlowReference {
    let slot: Int32
    let direction: Int32
    let generation: UInt32
}

extension Reactor {
    @inline(__always)
    func reference(_ slot: Int32, direction: Int) -> FlowReference {
        FlowReference(slot: slot, direction: Int32(direction), generation: table.slots[Int(slot)].generation)
    }

    /// The connection the reference was taken from is still the one in its slot.
    @inline(__always)
    func isCurrent(_ reference: FlowReference) -> Bool {
        table.slots[Int(reference.slot)].generation == reference.generation
    }
}
