/// The Pith package (GB/T 42382.2 §8): a container of models, programs and meta-information with integrity,
/// signatures, encryption, compact data and residual updates.
public enum PithPackage {
    /// The container format's version this build writes.
    public static let formatVersion = (major: 1, minor: 0)
}
