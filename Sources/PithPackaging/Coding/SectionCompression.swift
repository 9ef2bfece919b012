/// How a package section's bytes are stored (GB/T 42382.2 §8 compact data), recorded per section.
public enum SectionCompression: UInt8, Sendable, CaseIterable {
    /// The bytes as they are.
    case none = 0
    /// One or more Zstandard frames (`Zstd`).
    case zstd = 1
    /// A tensor coded by `TensorCoder` (byte streams split by block field, rANS / zstd / raw per stream).
    case tensorCoding = 2
}
