import PithTensor

/// How a variable's values are stored (ARCHITECTURE.md: quantizing a weight changes its encoding, not the operator).
///
/// The executor picks a kernel from (operator, encoding).
public enum Encoding: Sendable, Equatable, Hashable {
    /// Plain elements of one scalar type, row-major.
    case dense(ScalarType)
    /// Block-quantized in one of ggml's layouts (rows of whole blocks along the innermost dimension).
    case ggml(GGMLType)

    /// Bytes needed for `elements` values, or nil when the count does not fit the encoding.
    public func byteCount(elements: Int) -> Int? {
        switch self {
        case .dense(let t):
            let (n, overflow) = elements.multipliedReportingOverflow(by: t.byteSize)
            return overflow ? nil : n
        case .ggml(let t):
            return t.rowBytes(elements: elements)
        }
    }

    /// The ggml type with the same layout, when there is one (dense f32/f16/bf16 included).
    public var ggmlType: GGMLType? {
        switch self {
        case .ggml(let t): t
        case .dense(.f32): .f32
        case .dense(.f16): .f16
        case .dense(.bf16): .bf16
        case .dense: nil
        }
    }

    /// A short name for reports ("f32", "Q4_1").
    public var name: String {
        switch self {
        case .dense(let t): t.rawValue
        case .ggml(let t): t.name
        }
    }

    /// Storage bits per element, scales included.
    public var bitsPerElement: Double {
        switch self {
        case .dense(let t): Double(t.byteSize * 8)
        case .ggml(let t): t.bitsPerWeight
        }
    }
}

extension Encoding: Codable {
    private enum Key: String, CodingKey { case kind, type }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let kind = try c.decode(String.self, forKey: .kind)
        let type = try c.decode(String.self, forKey: .type)
        switch kind {
        case "dense":
            guard let t = ScalarType(rawValue: type) else {
                throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown scalar type '\(type)'")
            }
            self = .dense(t)
        case "ggml":
            guard let t = GGMLType.allCases.first(where: { $0.name == type }) else {
                throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown ggml type '\(type)'")
            }
            self = .ggml(t)
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown encoding kind '\(kind)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .dense(let t):
            try c.encode("dense", forKey: .kind)
            try c.encode(t.rawValue, forKey: .type)
        case .ggml(let t):
            try c.encode("ggml", forKey: .kind)
            try c.encode(t.name, forKey: .type)
        }
    }
}
