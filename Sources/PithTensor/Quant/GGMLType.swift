/// A ggml tensor type: dense scalars or a block-quantized layout, numbered as in GGUF files.
///
/// Sizes come from one table (`traits`), never from switches scattered across files.
public enum GGMLType: UInt32, Codable, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35

    /// One row of the type table.
    public struct Traits: Sendable {
        public let name: String
        /// Elements per block (1 for dense types).
        public let blockSize: Int
        /// Bytes per block.
        public let bytesPerBlock: Int
    }

    // Block sizes and byte counts as ggml defines them (ggml-common.h), e.g. Q4_0 = f16 scale + 16 bytes of nibbles.
    private static let table: [GGMLType: Traits] = [
        .f32: Traits(name: "F32", blockSize: 1, bytesPerBlock: 4),
        .f16: Traits(name: "F16", blockSize: 1, bytesPerBlock: 2),
        .bf16: Traits(name: "BF16", blockSize: 1, bytesPerBlock: 2),
        .f64: Traits(name: "F64", blockSize: 1, bytesPerBlock: 8),
        .i8: Traits(name: "I8", blockSize: 1, bytesPerBlock: 1),
        .i16: Traits(name: "I16", blockSize: 1, bytesPerBlock: 2),
        .i32: Traits(name: "I32", blockSize: 1, bytesPerBlock: 4),
        .i64: Traits(name: "I64", blockSize: 1, bytesPerBlock: 8),
        .q4_0: Traits(name: "Q4_0", blockSize: 32, bytesPerBlock: 18),
        .q4_1: Traits(name: "Q4_1", blockSize: 32, bytesPerBlock: 20),
        .q5_0: Traits(name: "Q5_0", blockSize: 32, bytesPerBlock: 22),
        .q5_1: Traits(name: "Q5_1", blockSize: 32, bytesPerBlock: 24),
        .q8_0: Traits(name: "Q8_0", blockSize: 32, bytesPerBlock: 34),
        .q8_1: Traits(name: "Q8_1", blockSize: 32, bytesPerBlock: 36),
        .q2_K: Traits(name: "Q2_K", blockSize: 256, bytesPerBlock: 84),
        .q3_K: Traits(name: "Q3_K", blockSize: 256, bytesPerBlock: 110),
        .q4_K: Traits(name: "Q4_K", blockSize: 256, bytesPerBlock: 144),
        .q5_K: Traits(name: "Q5_K", blockSize: 256, bytesPerBlock: 176),
        .q6_K: Traits(name: "Q6_K", blockSize: 256, bytesPerBlock: 210),
        .q8_K: Traits(name: "Q8_K", blockSize: 256, bytesPerBlock: 292),
        .iq2_xxs: Traits(name: "IQ2_XXS", blockSize: 256, bytesPerBlock: 66),
        .iq2_xs: Traits(name: "IQ2_XS", blockSize: 256, bytesPerBlock: 74),
        .iq3_xxs: Traits(name: "IQ3_XXS", blockSize: 256, bytesPerBlock: 98),
        .iq1_s: Traits(name: "IQ1_S", blockSize: 256, bytesPerBlock: 50),
        .iq4_nl: Traits(name: "IQ4_NL", blockSize: 32, bytesPerBlock: 18),
        .iq3_s: Traits(name: "IQ3_S", blockSize: 256, bytesPerBlock: 110),
        .iq2_s: Traits(name: "IQ2_S", blockSize: 256, bytesPerBlock: 82),
        .iq4_xs: Traits(name: "IQ4_XS", blockSize: 256, bytesPerBlock: 136),
        .iq1_m: Traits(name: "IQ1_M", blockSize: 256, bytesPerBlock: 56),
        .tq1_0: Traits(name: "TQ1_0", blockSize: 256, bytesPerBlock: 54),
        .tq2_0: Traits(name: "TQ2_0", blockSize: 256, bytesPerBlock: 66),
    ]

    public var traits: Traits {
        // Every case has a row; the fallback only keeps this total.
        Self.table[self] ?? Traits(name: "\(rawValue)", blockSize: 1, bytesPerBlock: 1)
    }

    public var name: String { traits.name }
    public var blockSize: Int { traits.blockSize }
    public var bytesPerBlock: Int { traits.bytesPerBlock }
    public var isQuantized: Bool { traits.blockSize > 1 }

    /// Bytes of a row of `elements` values, or nil when `elements` is not a whole number of blocks or overflows.
    public func rowBytes(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    /// Bits stored per weight, scales included.
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// The dense scalar type this ggml type is, if it is dense.
    public var scalarType: ScalarType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .f64: .f64
        case .i8: .i8
        case .i16: .i16
        case .i32: .i32
        case .i64: .i64
        default: nil
        }
    }
}
