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
