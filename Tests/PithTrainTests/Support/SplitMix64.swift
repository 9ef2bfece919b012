/// SplitMix64: the seeded stream the tests and scripts/reference/train_gradients.py both draw weights and batches
/// from, so the same tiny models exist on both sides without shipping their weights.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in (−scale, scale).
    mutating func symmetric(_ scale: Double) -> Double { (2 * uniform() - 1) * scale }

    mutating func doubles(_ count: Int, scale: Double = 1) -> [Double] { (0..<count).map { _ in symmetric(scale) } }
}
