/// Hashes that are the same in every process and on every run: no
/// per-process seed (unlike Swift's `Hasher`), so separate proxy instances
/// agree on where a client or a server lands.
enum StableHash {
    /// FNV-1a over the bytes, then `mix` to spread FNV's weak low bits.
    static func of(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return mix(hash)
    }

    /// The SplitMix64 / murmur3 finaliser: every input bit affects every output bit.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
