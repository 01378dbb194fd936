import Testing
import URing

@Suite struct OperationTagTests {
    @Test func roundTripsKindGenerationAndSlot() {
        let tag = OperationTag(kind: 7, generation: 0xABCDEF, slot: 0xFFFF_FFFE)
        let decoded = OperationTag(userData: tag.userData)
        #expect(decoded == tag)
        #expect(decoded.kind == 7)
        #expect(decoded.generation == 0xABCDEF)
        #expect(decoded.slot == 0xFFFF_FFFE)
    }

    @Test func generationWrapsWithinItsBits() {
        let tag = OperationTag(kind: 1, generation: 0x1_000_0003, slot: 5)
        #expect(tag.generation == 3)
        #expect(OperationTag(userData: tag.userData).kind == 1)
    }
}
