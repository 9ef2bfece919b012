import Crypto
import Foundation

/// Signs package digests with an Ed25519 private key (GB/T 42382.2 §8: package signatures).
///
/// `@unchecked Sendable`: swift-crypto 3.12 does not mark its Curve25519 keys `Sendable`, but they are immutable
/// values over immutable storage.
public struct Signer: @unchecked Sendable {
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    /// A signer with a fresh random key.
    public static func generate() -> Signer { Signer(privateKey: Curve25519.Signing.PrivateKey()) }

    /// Reads a `pith-ed25519-private-v1` file; a fault names the file.
    public init(contentsOf url: URL) throws {
        let seed = try KeyFile.read(url, kind: .ed25519Private)
        do {
            privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        } catch {
            throw SecurityError.keyFile(path: url.relativePath, fault: "not a valid Ed25519 private key")
        }
    }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: some DataProtocol) throws -> [UInt8] {
        do {
            return Array(try privateKey.signature(for: message))
        } catch {
            throw SecurityError.signingFailed("\(error)")
        }
    }

    /// The verifier for this signer's public key.
    public var verifier: Verifier { Verifier(publicKey: privateKey.publicKey) }

    /// The private and public key files for `prefix`: `NAME.key` and `NAME.pub`
    /// (a prefix already ending in `.key` or `.pub` loses that extension first).
    public static func keyFileURLs(prefix: URL) -> (privateKey: URL, publicKey: URL) {
        let base = ["key", "pub"].contains(prefix.pathExtension) ? prefix.deletingPathExtension() : prefix
        return (base.appendingPathExtension("key"), base.appendingPathExtension("pub"))
    }

    /// Writes `NAME.key` (mode 0600) and `NAME.pub` (0644) atomically; neither replaces a file unless `overwrite`.
    ///
    /// Both files are written in full before either is moved into place; if the public key then cannot be placed,
    /// the private key just placed is removed again, so no half pair is left behind.
    @discardableResult
    public func writeKeyFiles(prefix: URL, overwrite: Bool = false) throws -> (privateKey: URL, publicKey: URL) {
        let urls = Self.keyFileURLs(prefix: prefix)
        let secret = try KeyFile.prepare(Array(privateKey.rawRepresentation), kind: .ed25519Private,
                                         to: urls.privateKey, overwrite: overwrite)
        let shared: KeyFile.Prepared
        do {
            shared = try KeyFile.prepare(verifier.rawRepresentation, kind: .ed25519Public,
                                         to: urls.publicKey, overwrite: overwrite)
        } catch {
            secret.writer.abort()
            throw error
        }
        do {
            try KeyFile.commit(secret, overwrite: overwrite)
        } catch {
            shared.writer.abort()
            throw error
        }
        do {
            try KeyFile.commit(shared, overwrite: overwrite)
        } catch {
            if !overwrite { unlink(urls.privateKey.path) }
            throw error
        }
        return urls
    }
}

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
