/// What a submission was for, packed into its 64-bit `user_data`:
/// kind (8 bits) | generation (24 bits) | slot (32 bits).
///
/// The generation makes a late completion for a recycled slot recognisable;
/// a bare fd would not be, since the kernel reuses fd numbers at once.
public struct OperationTag: Equatable {
    public let kind: UInt8
    public let generation: UInt32
    public let slot: UInt32

    public static let generationMask: UInt32 = 0xFF_FFFF

    @inline(__always)
    public init(kind: UInt8, generation: UInt32, slot: UInt32) {
        self.kind = kind
        self.generation = generation & Self.generationMask
        self.slot = slot
    }

    @inline(__always)
    public init(userData: UInt64) {
        kind = UInt8(truncatingIfNeeded: userData >> 56)
        generation = UInt32(truncatingIfNeeded: userData >> 32) & Self.generationMask
        slot = UInt32(truncatingIfNeeded: userData)
    }

    @inline(__always)
    public var userData: UInt64 {
        UInt64(kind) << 56 | UInt64(generation) << 32 | UInt64(slot)
    }
}
