/// Why an encryption, key or signature operation failed, as one line that names the file, section or chunk.
public enum SecurityError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A symmetric key that is not 256 bits.
    case invalidKeyLength(bits: Int)
    /// A chunk size outside `1...SectionCipher.maximumChunkSize`.
    case invalidChunkSize(Int)
    /// A negative plaintext size, or one whose encrypted size does not fit in `Int`.
    case invalidPlaintextSize(Int)
    /// An encrypted section whose length is not the one its plaintext size and chunk size give.
    case ciphertextSizeMismatch(section: UInt32, actual: Int, expected: Int)
    /// A chunk index outside the section, or a chunk buffer of the wrong length.
    case invalidChunk(section: UInt32, chunk: Int, reason: String)
    /// The key does not match the key check the package stores.
    case wrongKey
    /// AES-GCM rejected a chunk: wrong key, or the chunk was altered, moved, reordered or cut.
    case authenticationFailed(section: UInt32, chunk: Int, chunkCount: Int)
    /// The key-derivation record or scrypt parameters are invalid (read from a file or given by a caller).
    case invalidKeyDerivation(String)
    /// scrypt itself failed (BoringSSL's `EVP_PBE_scrypt`).
    case keyDerivationFailed(String)
    /// A key file that cannot be read or is malformed.
    case keyFile(path: String, fault: String)
    /// A key file that would replace an existing file.
    case keyFileExists(path: String)
    /// A public key, secret key or signature of the wrong length.
    case invalidSigningKey(String)
    /// Signing failed inside the crypto library.
    case signingFailed(String)

    public var description: String {
        switch self {
        case .invalidKeyLength(let bits):
            "encryption key is \(bits) bits; AES-256-GCM needs 256"
        case .invalidChunkSize(let size):
            "encryption chunk size \(size) is outside 1...\(SectionCipher.maximumChunkSize)"
        case .invalidPlaintextSize(let size):
            "plaintext size \(size) is negative or too large to encrypt"
        case .ciphertextSizeMismatch(let section, let actual, let expected):
            "encrypted section \(section) is \(actual) bytes; its plaintext and chunk sizes give \(expected)"
        case .invalidChunk(let section, let chunk, let reason):
            "section \(section), chunk \(chunk): \(reason)"
        case .wrongKey:
            "wrong key: it does not match the package's key check"
        case .authenticationFailed(let section, let chunk, let count):
            "section \(section), chunk \(chunk) of \(count): authentication failed "
                + "(wrong key, or the data was altered, moved, reordered or truncated)"
        case .invalidKeyDerivation(let fault):
            "key derivation: \(fault)"
        case .keyDerivationFailed(let fault):
            "key derivation failed: \(fault)"
        case .keyFile(let path, let fault):
            "\(path): \(fault)"
        case .keyFileExists(let path):
            "\(path): file exists; a key file is never replaced unless asked"
        case .invalidSigningKey(let fault):
            "Ed25519: \(fault)"
        case .signingFailed(let fault):
            "signing failed: \(fault)"
        }
    }
}
