import Crypto
import _CryptoExtras
import Foundation

/// Derives an AES-256 key from a passphrase with scrypt.
public enum PassphraseKey {
    /// A 256-bit key from `passphrase` (Unicode NFC, then UTF-8, so the same text typed anywhere gives the same key).
    public static func derive(passphrase: String, salt: [UInt8],
                              parameters: ScryptParameters = .default) throws -> SymmetricKey {
        try derive(passphraseBytes: Array(passphrase.precomposedStringWithCanonicalMapping.utf8),
                   salt: salt, parameters: parameters)
    }

    /// A 256-bit key from passphrase bytes taken as they are.
    public static func derive(passphraseBytes: [UInt8], salt: [UInt8],
                              parameters: ScryptParameters = .default) throws -> SymmetricKey {
        try scrypt(passphraseBytes, salt: salt, parameters: parameters, outputByteCount: 32)
    }

    static func scrypt(_ password: [UInt8], salt: [UInt8], parameters: ScryptParameters,
                       outputByteCount: Int) throws -> SymmetricKey {
        try parameters.validate()
        do {
            return try withNonNullBytes(password) { password in
                try withNonNullBytes(salt) { salt in
                    try KDF.Scrypt.deriveKey(from: password, salt: salt, outputByteCount: outputByteCount,
                                             rounds: 1 << Int(parameters.log2Cost),
                                             blockSize: Int(parameters.blockSize),
                                             parallelism: Int(parameters.parallelism))
                }
            }
        } catch {
            throw SecurityError.keyDerivationFailed("\(error)")
        }
    }

    /// Runs `body` on a copy of `bytes` whose base address is never null, then wipes the copy.
    ///
    /// swift-crypto's scrypt wrapper force-unwraps each input's `baseAddress`, which an empty buffer may lack.
    static func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer {
            storage.initializeMemory(as: UInt8.self, repeating: 0)
            storage.deallocate()
        }
        storage.copyBytes(from: bytes)
        return try body(UnsafeRawBufferPointer(start: storage.baseAddress, count: bytes.count))
    }
}
