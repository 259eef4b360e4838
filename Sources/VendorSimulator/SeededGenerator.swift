/// SplitMix64: the same seed gives the same generated scenario on every machine (the system generator cannot be seeded).
/// Public because the tests replay their random cases with it too (TestSupport names it).
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A random version 4 uuid, lowercase as the vendors print them.
    mutating func uuid() -> String {
        let high = (next() & ~0xf000) | 0x4000
        let low = (next() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000
        func hex(_ value: UInt64, digits: Int) -> String {
            let s = String(value, radix: 16)
            return String(repeating: "0", count: digits - s.count) + s
        }
        return hex(high >> 32, digits: 8) + "-" + hex(high >> 16 & 0xffff, digits: 4) + "-" + hex(high & 0xffff, digits: 4)
            + "-" + hex(low >> 48, digits: 4) + "-" + hex(low & 0xffff_ffff_ffff, digits: 12)
    }
}
