// Reproducible random payloads and byte-exact comparison with a short failure text.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: fast, seedable, good enough for test data.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Payload {
    /// `count` random bytes, determined by `seed` (print the seed to reproduce a failure).
    static func random(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset + 8 <= count {
                raw.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            var last = generator.next()
            while offset < count {
                raw[offset] = UInt8(truncatingIfNeeded: last)
                last >>= 8
                offset += 1
            }
        }
        return bytes
    }

    static func newSeed() -> UInt64 { UInt64.random(in: 1...UInt64.max) }

    /// nil if `actual` equals `expected` byte for byte; otherwise a short description
    /// (lengths, first differing offset) instead of dumping megabytes.
    static func mismatch(expected: [UInt8], actual: [UInt8]) -> String? {
        let same = expected.count == actual.count && expected.withUnsafeBytes { e in
            actual.withUnsafeBytes { a in e.count == 0 || memcmp(e.baseAddress!, a.baseAddress!, e.count) == 0 }
        }
        if same { return nil }
        let common = min(expected.count, actual.count)
        var first = common
        for i in 0..<common where expected[i] != actual[i] {
            first = i
            break
        }
        return "expected \(expected.count) bytes, got \(actual.count); first difference at offset \(first)"
    }
}
