// MARK: - Reproducible random numbers

/// xoshiro256** seeded through SplitMix64: the same seed gives the same sequence on every platform.
///
/// The standard library's `SystemRandomNumberGenerator` cannot be seeded, and its algorithm is
/// platform-defined, so a sampled generation could not be replayed. xoshiro256** (Blackman & Vigna,
/// 2018) is small, fast and passes BigCrush; SplitMix64 expands one 64-bit seed into its 256-bit
/// state as the authors recommend, which also keeps the state from being all zeros.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Creates a generator whose state is the first four SplitMix64 outputs for `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) from the top 53 bits, the full precision of a `Double` mantissa.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
