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
