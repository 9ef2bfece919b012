import Crypto

/// The signature trailer after the data (§8.2.4): who packed the package, over its header digest — which covers every
/// section's SHA-256, so one signature proves the whole file.
///
/// Layout (104 bytes): magic "PSIG" · version u16 (1) · algorithm u16 (1 = Ed25519) · public_key[32] · signature[64].
/// The signed message is `"pith-package-signature-v1\0"` followed by the 32-byte header digest.
public struct SignatureTrailer: Equatable, Sendable {
    public static let size = 104
    static let magic: [UInt8] = Array("PSIG".utf8)
    static let domain: [UInt8] = Array("pith-package-signature-v1\0".utf8)

    public var publicKey: [UInt8]
    public var signature: [UInt8]

    static func message(headerDigest: [UInt8]) -> [UInt8] { domain + headerDigest }

    static func make(headerDigest: [UInt8], key: Curve25519.Signing.PrivateKey) throws -> SignatureTrailer {
        let signature = try key.signature(for: message(headerDigest: headerDigest))
        return SignatureTrailer(publicKey: Array(key.publicKey.rawRepresentation), signature: Array(signature))
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.raw(Self.magic); w.u16(1); w.u16(1)
        w.raw(publicKey); w.raw(signature)
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws -> SignatureTrailer {
        var r = ByteReader(bytes, at: offset, what: "signature trailer")
        guard try r.raw(4) == magic else { throw PackageError.signature("the trailer is damaged (bad magic)") }
        let version = try r.u16(), algorithm = try r.u16()
        guard version == 1, algorithm == 1 else { throw PackageError.signature("unknown trailer version \(version) or algorithm \(algorithm)") }
        return SignatureTrailer(publicKey: try r.raw(32), signature: try r.raw(64))
    }

    /// Whether the signature is valid for `headerDigest` under the trailer's own public key.
    func isValid(headerDigest: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: Self.message(headerDigest: headerDigest))
    }

    /// First 8 bytes of SHA-256 of the public key, in hex: a short name for the signer.
    public var fingerprint: String {
        SHA256.hash(data: publicKey).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
