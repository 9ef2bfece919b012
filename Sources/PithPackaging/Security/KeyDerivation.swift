import Crypto

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
