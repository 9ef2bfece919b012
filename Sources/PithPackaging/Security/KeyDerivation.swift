import Crypto
import _CryptoExtras
import Foundation

/// scrypt's cost parameters (RFC 7914): N = 2^`log2Cost`, r = `blockSize`, p = `parallelism`.
public struct ScryptParameters: Codable, Hashable, Sendable {
    /// log2 of the CPU/memory cost N.
    public var log2Cost: UInt8
    /// The block size r.
    public var blockSize: UInt16
    /// The parallelisation p.
    public var parallelism: UInt16

    enum CodingKeys: String, CodingKey {
        case log2Cost = "log2_cost", blockSize = "block_size", parallelism
    }

    /// N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s per derivation on a current core.
    public static let `default` = ScryptParameters(log2Cost: 15, blockSize: 8, parallelism: 1)
    /// The most memory (128·N·r·p bytes) a derivation may use, so a hostile header cannot exhaust memory.
    public static let maximumMemory = 1 << 30

    public init(log2Cost: UInt8, blockSize: UInt16, parallelism: UInt16) {
        self.log2Cost = log2Cost
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// The memory scrypt's V and B arrays take: 128·N·r·p bytes (nil when it does not fit in `Int`).
    public var memoryBytes: Int? {
        guard log2Cost < 62 else { return nil }
        let (a, o1) = (128 << Int(log2Cost)).multipliedReportingOverflow(by: Int(blockSize))
        let (b, o2) = a.multipliedReportingOverflow(by: Int(parallelism))
        return o1 || o2 ? nil : b
    }

    /// Throws unless N, r and p are ones this build derives with.
    ///
    /// r ≤ 16 keeps swift-crypto's memory limit (128·N·r·p + one page) above what BoringSSL allocates when p = 1.
    public func validate() throws {
        guard (1...30).contains(log2Cost) else { throw SecurityError.invalidKeyDerivation("scrypt log2 N \(log2Cost) is outside 1...30") }
        guard (1...16).contains(blockSize) else { throw SecurityError.invalidKeyDerivation("scrypt r \(blockSize) is outside 1...16") }
        guard (1...16).contains(parallelism) else { throw SecurityError.invalidKeyDerivation("scrypt p \(parallelism) is outside 1...16") }
        // RFC 7914 §2: N < 2^(128·r/8).
        guard Int(log2Cost) < 16 * Int(blockSize) else {
            throw SecurityError.invalidKeyDerivation("scrypt N = 2^\(log2Cost) must be below 2^\(16 * Int(blockSize)) for r = \(blockSize)")
        }
        guard let memory = memoryBytes, memory <= Self.maximumMemory else {
            throw SecurityError.invalidKeyDerivation("scrypt N = 2^\(log2Cost), r = \(blockSize), p = \(parallelism) needs more than \(Self.maximumMemory >> 20) MiB")
        }
    }
}

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

/// How a package's content key was derived from a passphrase, as stored in the container header.
///
/// Binary encoding, 32 bytes, little-endian:
///
///     offset size field
///          0    1 algorithm, 1 = scrypt (RFC 7914)
///          1    1 log2 N
///          2    2 r
///          4    2 p
///          6    2 reserved, 0
///          8   16 salt
///         24    8 reserved, 0
public struct KeyDerivation: Codable, Hashable, Sendable {
    /// The only algorithm so far.
    public enum Algorithm: UInt8, Codable, Sendable {
        case scrypt = 1
    }

    public var algorithm: Algorithm
    public var parameters: ScryptParameters
    /// 16 random bytes.
    public var salt: [UInt8]

    /// Bytes of the binary encoding.
    public static let encodedSize = 32
    /// Bytes of the salt.
    public static let saltSize = 16

    public init(algorithm: Algorithm = .scrypt, parameters: ScryptParameters, salt: [UInt8]) {
        self.algorithm = algorithm
        self.parameters = parameters
        self.salt = salt
    }

    /// A record with a fresh random salt.
    public static func random(parameters: ScryptParameters = .default) -> KeyDerivation {
        var generator = SystemRandomNumberGenerator()
        return KeyDerivation(parameters: parameters, salt: (0..<saltSize).map { _ in generator.next() })
    }

    /// Decodes and validates a record from JSON or another Codable form.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(algorithm: try container.decode(Algorithm.self, forKey: .algorithm),
                  parameters: try container.decode(ScryptParameters.self, forKey: .parameters),
                  salt: try container.decode([UInt8].self, forKey: .salt))
        try validate()
    }

    enum CodingKeys: String, CodingKey {
        case algorithm, parameters, salt
    }

    /// Throws unless the salt is 16 bytes and the parameters are valid.
    public func validate() throws {
        guard salt.count == Self.saltSize else {
            throw SecurityError.invalidKeyDerivation("salt is \(salt.count) bytes; \(Self.saltSize) expected")
        }
        try parameters.validate()
    }

    /// The 256-bit key `passphrase` gives under this record.
    public func deriveKey(passphrase: String) throws -> SymmetricKey {
        try validate()
        return try PassphraseKey.derive(passphrase: passphrase, salt: salt, parameters: parameters)
    }

    /// The 32-byte binary encoding.
    public func encoded() throws -> [UInt8] {
        try validate()
        var bytes = [UInt8](repeating: 0, count: Self.encodedSize)
        bytes[0] = algorithm.rawValue
        bytes[1] = parameters.log2Cost
        bytes[2] = UInt8(truncatingIfNeeded: parameters.blockSize)
        bytes[3] = UInt8(truncatingIfNeeded: parameters.blockSize >> 8)
        bytes[4] = UInt8(truncatingIfNeeded: parameters.parallelism)
        bytes[5] = UInt8(truncatingIfNeeded: parameters.parallelism >> 8)
        bytes.replaceSubrange(8..<24, with: salt)
        return bytes
    }

    /// Decodes and validates the 32-byte binary encoding.
    public init(encoded bytes: some Collection<UInt8>) throws {
        let b = Array(bytes)
        guard b.count == Self.encodedSize else {
            throw SecurityError.invalidKeyDerivation("record is \(b.count) bytes; \(Self.encodedSize) expected")
        }
        guard let algorithm = Algorithm(rawValue: b[0]) else {
            throw SecurityError.invalidKeyDerivation("unknown algorithm \(b[0])")
        }
        guard b[6] == 0, b[7] == 0, b[24...].allSatisfy({ $0 == 0 }) else {
            throw SecurityError.invalidKeyDerivation("reserved bytes are not zero")
        }
        self.init(algorithm: algorithm,
                  parameters: ScryptParameters(log2Cost: b[1], blockSize: UInt16(b[2]) | UInt16(b[3]) << 8,
                                               parallelism: UInt16(b[4]) | UInt16(b[5]) << 8),
                  salt: Array(b[8..<24]))
        try validate()
    }
}
