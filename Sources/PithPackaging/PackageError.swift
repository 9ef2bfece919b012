/// Why a package cannot be written, read, verified or trusted; each reads as one line naming the part at fault.
public enum PackageError: Error, CustomStringConvertible, Equatable {
    /// The bytes of `part` do not follow the format.
    case malformed(String, String)
    /// A section's (or the header's) bytes do not match their SHA-256.
    case integrity(String)
    /// The signature does not verify, or was made by another key.
    case signature(String)
    /// Decryption failed: wrong key, or the ciphertext was altered.
    case decryption(String)
    /// The package needs something the caller did not give (a key, a section).
    case missing(String)
    /// A feature the reader does not support (newer major version, unknown coding).
    case unsupported(String)
    /// Writing failed.
    case io(String)

    public var description: String {
        switch self {
        case .malformed(let part, let why): "\(part): \(why)"
        case .integrity(let part): "\(part): contents do not match their SHA-256 (the package was altered or damaged)"
        case .signature(let why): "signature: \(why)"
        case .decryption(let why): "decryption: \(why)"
        case .missing(let what): what
        case .unsupported(let what): what
        case .io(let why): why
        }
    }
}

/// A `PackageError` with the package's path in front: `pith: smollm2.pith: section 'Model/0/tensors': …`.
public struct PackageFileError: Error, CustomStringConvertible {
    public let path: String
    public let error: PackageError
    public var description: String { "\(path): \(error)" }
}
