import Crypto

/// A short value that tells a wrong key from damaged data before any section is decrypted.
///
/// The check is the first 8 bytes of HMAC-SHA256(key, "pith-key-check-v1"). Storing it reveals nothing that the
/// encrypted chunks do not: either lets a guess at a passphrase be tested, which scrypt makes slow.
public enum KeyCheck {
    /// Bytes of the check value.
    public static let size = 8
    static let label = Array("pith-key-check-v1".utf8)

    /// The check value of `key`.
    public static func value(for key: SymmetricKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: label, using: key).prefix(size))
    }

    /// Throws `SecurityError.wrongKey` unless `key` has the check value `expected`.
    public static func verify(_ key: SymmetricKey, against expected: [UInt8]) throws {
        let actual = value(for: key)
        // Constant time, though the value is not secret.
        guard expected.count == size, zip(actual, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else {
            throw SecurityError.wrongKey
        }
    }
}
