/// The text formats of Pith key files: a header line naming the kind, then the 32 key bytes in base64.
///
///     pith-symmetric-key-v1
///     q0xW3e…(44 characters of standard base64 with padding)
///
/// One header line, one key line, each ending in LF (CRLF is accepted); nothing else but empty lines may follow.
/// Secret files are written with mode 0600, public ones with 0644.
public enum KeyFileKind: String, CaseIterable, Sendable {
    /// An AES-256 content key (`pith keygen --symmetric`).
    case symmetric = "pith-symmetric-key-v1"
    /// An Ed25519 private key: its 32-byte seed (`pith keygen`, `NAME.key`).
    case ed25519Private = "pith-ed25519-private-v1"
    /// An Ed25519 public key (`pith keygen`, `NAME.pub`).
    case ed25519Public = "pith-ed25519-public-v1"

    /// The header line.
    public var header: String { rawValue }
    /// Bytes of the key.
    public var keyLength: Int { 32 }
    /// Whether the file holds a secret (written 0600).
    public var isSecret: Bool { self != .ed25519Public }
    /// What the file holds, for messages ("a symmetric key").
    public var noun: String {
        switch self {
        case .symmetric: "a symmetric key"
        case .ed25519Private: "an Ed25519 private key"
        case .ed25519Public: "an Ed25519 public key"
        }
    }
}
