import Crypto
import Foundation

/// How a package's sections are encrypted (§8.2.5): AES-256-GCM in chunks (`SectionCipher`), with associated data
/// binding each section's chunks to this package, the section's name, size and coding. The parameters a reader
/// needs travel in the unencrypted, hashed and signed section `Security/encryption.json`.
public struct PackageEncryption {
    public let key: SymmetricKey
    /// Plaintext bytes per chunk; 64 KiB keeps swift-crypto's per-chunk buffers off glibc's mmap path (measured
    /// 1.3–1.9 GB/s per thread against 0.8 GB/s at 1 MiB).
    public let chunkSize: Int
    /// Random per package, so chunks cannot be moved between packages under the same key.
    public let packageID: [UInt8]
    /// Set when the key comes from a passphrase.
    public let keyDerivation: KeyDerivation?

    public static let descriptorSection = "Security/encryption.json"

    public init(key: SymmetricKey, chunkSize: Int = 1 << 16, keyDerivation: KeyDerivation? = nil) {
        self.key = key
        self.chunkSize = chunkSize
        self.keyDerivation = keyDerivation
        packageID = (0..<16).map { _ in UInt8.random(in: 0...255) }
    }

    /// Encrypts with the key in a `pith keygen --symmetric` file.
    public init(keyFile: URL) throws {
        self.init(key: try SymmetricKeyFile.read(from: keyFile))
    }

    /// Encrypts with a key derived from `passphrase` by scrypt, its salt and cost stored in the package.
    public init(passphrase: String, parameters: ScryptParameters = .default) throws {
        let derivation = KeyDerivation.random(parameters: parameters)
        self.init(key: try derivation.deriveKey(passphrase: passphrase), keyDerivation: derivation)
    }

    var descriptor: EncryptionDescriptor {
        EncryptionDescriptor(cipher: EncryptionDescriptor.cipherName, chunkSize: chunkSize, packageID: hex(packageID),
                             keyCheck: hex(KeyCheck.value(for: key)), keyDerivation: keyDerivation)
    }

    func seal(_ bytes: UnsafeRawBufferPointer, section: SectionEntry, index: UInt32) throws -> [UInt8] {
        try SectionCipher().encrypt(bytes, key: key, associatedData: Self.associatedData(packageID: packageID, section: section),
                                    sectionIndex: index, chunkSize: chunkSize)
    }

    /// SHA-256("pith-section-v1" ‖ package id ‖ name ‖ original size u64 ‖ coding u8): what the chunks are bound to.
    static func associatedData(packageID: [UInt8], section: SectionEntry) -> [UInt8] {
        var w = ByteWriter()
        w.raw(Array("pith-section-v1".utf8))
        w.raw(packageID)
        w.raw(Array(section.name.utf8))
        w.u64(UInt64(section.originalSize))
        w.u8(section.coding.rawValue)
        return Array(SHA256.hash(data: w.bytes))
    }
}

/// The contents of `Security/encryption.json`.
struct EncryptionDescriptor: Codable {
    static let cipherName = "aes-256-gcm-chunked"
    var cipher: String
    var chunkSize: Int
    var packageID: String
    /// First 8 bytes of HMAC-SHA256(key, "pith-key-check-v1"): tells a wrong key from damaged data.
    var keyCheck: String
    var keyDerivation: KeyDerivation?

    enum CodingKeys: String, CodingKey {
        case cipher, chunkSize = "chunk_size", packageID = "package_id", keyCheck = "key_check", keyDerivation = "key_derivation"
    }
}

/// The secret that opens an encrypted package: a key file's key or a passphrase.
public final class PackageDecryption: @unchecked Sendable {
    enum Secret {
        case key(SymmetricKey)
        case passphrase(String)
    }
    let secret: Secret
    /// The key once checked, per package (a passphrase costs one scrypt run, not one per section).
    private var resolved: [String: (key: SymmetricKey, packageID: [UInt8])] = [:]

    public init(key: SymmetricKey) { secret = .key(key) }
    public convenience init(keyFile: URL) throws { self.init(key: try SymmetricKeyFile.read(from: keyFile)) }
    public init(passphrase: String) { secret = .passphrase(passphrase) }

    /// The key and package parameters, after checking the key against the package's key check.
    func resolve(_ reader: PackageReader) throws -> (key: SymmetricKey, packageID: [UInt8]) {
        let cacheKey = hex(reader.headerDigest)
        if let known = resolved[cacheKey] { return known }
        let result = try resolveUncached(reader)
        resolved[cacheKey] = result
        return result
    }

    private func resolveUncached(_ reader: PackageReader) throws -> (key: SymmetricKey, packageID: [UInt8]) {
        guard let i = reader.index(of: PackageEncryption.descriptorSection), reader.sections[i].encryption == .none else {
            throw PackageError.malformed("package", "encrypted sections but no readable \(PackageEncryption.descriptorSection)")
        }
        let raw = try reader.section(i)
        guard let d = try? JSONDecoder().decode(EncryptionDescriptor.self, from: raw.data), d.cipher == EncryptionDescriptor.cipherName,
              let id = bytes(hex: d.packageID), id.count == 16, let check = bytes(hex: d.keyCheck) else {
            throw PackageError.malformed("section '\(PackageEncryption.descriptorSection)'", "not a valid encryption descriptor")
        }
        let key: SymmetricKey
        switch secret {
        case .key(let k): key = k
        case .passphrase(let p):
            guard let derivation = d.keyDerivation else { throw PackageError.decryption("the package was encrypted with a key file, not a passphrase") }
            key = try derivation.deriveKey(passphrase: p)
        }
        guard KeyCheck.value(for: key) == check else { throw PackageError.decryption("wrong key: it is not the key this package was encrypted with") }
        return (key, id)
    }

    func open(_ bytes: UnsafeRawBufferPointer, section: SectionEntry, index: UInt32, reader: PackageReader) throws -> [UInt8] {
        let (key, id) = try resolve(reader)
        do {
            return try SectionCipher().decrypt(bytes, key: key, associatedData: PackageEncryption.associatedData(packageID: id, section: section),
                                               sectionIndex: index, chunkSize: section.chunkSize, plaintextSize: section.originalSize)
        } catch let error as SecurityError {
            throw PackageError.decryption("section '\(section.name)': \(error)")
        }
    }
}

/// Reading signing and public key files for `pith pack --sign` and `pith verify --public-key`.
public enum PackageKeys {
    public static func signingKey(_ url: URL) throws -> Curve25519.Signing.PrivateKey {
        try Signer(contentsOf: url).privateKey
    }

    public static func publicKey(_ url: URL) throws -> Curve25519.Signing.PublicKey {
        try Verifier(contentsOf: url).publicKey
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(hex: String) -> [UInt8]? {
    let chars = Array(hex.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    for i in stride(from: 0, to: chars.count, by: 2) {
        guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
    }
    return out
}
