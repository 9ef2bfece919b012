import PithTensor

/// How a variable's values are stored (ARCHITECTURE.md: quantizing a weight changes its encoding, not the operator).
///
/// The executor picks a kernel from (operator, encoding).
public enum Encoding: Sendable, Equatable, Hashable {
    /// Plain elements of one scalar type, row-major.
    case dense(ScalarType)
    /// Block-quantized in one of ggml's layouts (rows of whole blocks along the innermost dimension).
    case ggml(GGMLType)
    /// A Pith-native quantized layout (`QuantScheme`): any bits and group size, NF4/FP4, FP8, W8A8.
    /// Schemes with a ggml twin (4-bit or 8-bit groups of 32) are always expressed as `.ggml` (see `quantized(_:)`).
    case quantized(QuantScheme)

    /// The encoding for `scheme`: its ggml twin when it has one, so the fast kernels and GGUF export apply.
    public static func quantized(canonical scheme: QuantScheme) -> Encoding {
        scheme.ggmlEquivalent.map(Encoding.ggml) ?? .quantized(scheme)
    }

    /// Bytes of a tensor of `shape` (outermost first), or nil when it does not fit the encoding.
    public func byteCount(shape: [Int]) -> Int? {
        guard let elements = VariableNode.elementCount(of: shape) else { return nil }
        if case .quantized(let scheme) = self {
            let cols = shape.last ?? 1
            return scheme.byteCount(rows: cols == 0 ? 0 : elements / cols, cols: cols)
        }
        return byteCount(elements: elements)
    }

    /// Bytes needed for `elements` values, or nil when the count does not fit the encoding
    /// (for `.quantized`, `elements` are taken as one row; prefer `byteCount(shape:)`).
    public func byteCount(elements: Int) -> Int? {
        switch self {
        case .quantized(let scheme):
            return scheme.byteCount(rows: 1, cols: elements)
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
        case .dense, .quantized: nil
        }
    }

    /// A short name for reports ("f32", "Q4_1").
    public var name: String {
        switch self {
        case .dense(let t): t.rawValue
        case .ggml(let t): t.name
        case .quantized(let s): s.description
        }
    }

    /// Storage bits per element, scales included.
    public var bitsPerElement: Double {
        switch self {
        case .dense(let t): Double(t.byteSize * 8)
        case .ggml(let t): t.bitsPerWeight
        case .quantized(let s): s.bitsPerWeight(cols: 4096)
        }
    }

    /// Storage bits per element for rows of `cols` values (exact where the header cost depends on the row length).
    public func bitsPerElement(cols: Int) -> Double {
        if case .quantized(let s) = self { return s.bitsPerWeight(cols: cols) }
        return bitsPerElement
    }
}

extension Encoding: Codable {
    private enum Key: String, CodingKey { case kind, type, scheme }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let kind = try c.decode(String.self, forKey: .kind)
        if kind == "quantized" {
            self = .quantized(try c.decode(QuantScheme.self, forKey: .scheme))
            return
        }
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
        case .quantized(let s):
            try c.encode("quantized", forKey: .kind)
            try c.encode(s.description, forKey: .type)
            try c.encode(s, forKey: .scheme)
        }
    }
}
