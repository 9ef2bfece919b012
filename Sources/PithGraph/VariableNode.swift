import PithTensor

/// A variable node: a tensor that operators consume and produce (GB/T 42382.2 §6.1).
///
/// Shapes are outermost first; a dimension of `-1` is dynamic (the number of tokens in a batch).
public struct VariableNode: Codable, Sendable, Equatable {
    public var name: String
    /// The logical element type the operators see.
    public var elementType: ScalarType
    public var shape: [Int]
    /// Parameters are weights stored with the model; other variables are inputs or activations.
    public var isParameter: Bool
    /// How the values are stored; for activations always dense.
    public var encoding: Encoding

    public init(name: String, elementType: ScalarType = .f32, shape: [Int], isParameter: Bool, encoding: Encoding? = nil) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
        self.isParameter = isParameter
        self.encoding = encoding ?? .dense(elementType)
    }

    enum CodingKeys: String, CodingKey {
        case name, shape, encoding
        case elementType = "element_type"
        case isParameter = "is_parameter"
    }

    /// Elements in the tensor, or nil when a dimension is dynamic or the product overflows.
    public var elementCount: Int? { Self.elementCount(of: shape) }

    /// Elements of `shape`, or nil when a dimension is dynamic (-1) or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Elements per row (the innermost dimension), 1 for a scalar.
    public var rowLength: Int { shape.last ?? 1 }
}
