import Crypto
import Foundation

/// Section encryption settings for a package (§8.2.5). Pending the security work.
public struct PackageEncryption {
    public let key: SymmetricKey
    public let chunkSize: Int

    public init(key: SymmetricKey, chunkSize: Int = 1 << 20) {
        self.key = key
        self.chunkSize = chunkSize
    }
    public init(keyFile: URL) throws { throw PackageError.unsupported("key files are not built yet") }

    func seal(_ bytes: UnsafeRawBufferPointer, section: SectionEntry, index: UInt32) throws -> [UInt8] {
        throw PackageError.unsupported("encryption is not built yet")
    }
}

/// The key to read an encrypted package. Pending the security work.
public struct PackageDecryption {
    public let key: SymmetricKey
    public init(key: SymmetricKey) { self.key = key }
    public init(keyFile: URL) throws { throw PackageError.unsupported("key files are not built yet") }

    func open(_ bytes: UnsafeRawBufferPointer, section: SectionEntry, index: UInt32) throws -> [UInt8] {
        throw PackageError.unsupported("decryption is not built yet")
    }
}

/// Reading key files. Pending the security work.
public enum PackageKeys {
    public static func signingKey(_ url: URL) throws -> Curve25519.Signing.PrivateKey {
        throw PackageError.unsupported("key files are not built yet")
    }
    public static func publicKey(_ url: URL) throws -> Curve25519.Signing.PublicKey {
        throw PackageError.unsupported("key files are not built yet")
    }
}
