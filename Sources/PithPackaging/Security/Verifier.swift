import Crypto
import Foundation

/// Checks Ed25519 signatures against one public key.
///
/// `@unchecked Sendable` for the same reason as `Signer`.
public struct Verifier: @unchecked Sendable {
    /// The public key.
    public let publicKey: Curve25519.Signing.PublicKey

    public init(publicKey: Curve25519.Signing.PublicKey) {
        self.publicKey = publicKey
    }

    /// A verifier for the 32-byte raw public key.
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else {
            throw SecurityError.invalidSigningKey("public key is \(rawRepresentation.count) bytes; 32 expected")
        }
        do {
            publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        } catch {
            throw SecurityError.invalidSigningKey("not a valid public key")
        }
    }

    /// Reads a `pith-ed25519-public-v1` file; a fault names the file.
    public init(contentsOf url: URL) throws {
        let raw = try KeyFile.read(url, kind: .ed25519Public)
        do {
            try self.init(rawRepresentation: raw)
        } catch {
            throw SecurityError.keyFile(path: url.relativePath, fault: "not a valid Ed25519 public key")
        }
    }

    /// Whether `signature` (64 bytes) is this key's signature of `message`.
    public func verify(_ signature: [UInt8], for message: some DataProtocol) -> Bool {
        signature.count == 64 && publicKey.isValidSignature(signature, for: message)
    }

    /// The 32-byte raw public key.
    public var rawRepresentation: [UInt8] { Array(publicKey.rawRepresentation) }

    /// The first 8 bytes of SHA-256 of the raw public key, in lower-case hex: a name for the key in listings.
    public var fingerprint: String {
        SHA256.hash(data: rawRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Writes the public key file (mode 0644) atomically; refuses to replace a file unless `overwrite`.
    public func writeKeyFile(to url: URL, overwrite: Bool = false) throws {
        try KeyFile.write(rawRepresentation, kind: .ed25519Public, to: url, overwrite: overwrite)
    }
}
