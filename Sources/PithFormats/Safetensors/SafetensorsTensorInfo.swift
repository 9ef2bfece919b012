import PithTensor

/// Where one tensor of a safetensors file lives and how it is typed.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: ScalarType
    /// Extents, outermost first (row-major, as the file stores them); empty for a scalar.
    public let shape: [Int]
    /// Absolute byte offset of the data in the file.
    public let offset: Int
    public let byteCount: Int

    /// Number of elements: the product of the shape.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The dtype names of the safetensors format and the scalar types they map to.
enum SafetensorsDType {
    static let byName: [String: ScalarType] = [
        "F64": .f64, "F32": .f32, "F16": .f16, "BF16": .bf16,
        "I64": .i64, "I32": .i32, "I16": .i16, "I8": .i8, "U8": .u8, "BOOL": .bool,
    ]

    static func name(of type: ScalarType) -> String {
        switch type {
        case .f64: "F64"
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .i64: "I64"
        case .i32: "I32"
        case .i16: "I16"
        case .i8: "I8"
        case .u8: "U8"
        case .bool: "BOOL"
        }
    }

    /// Bytes of a tensor of `shape` and `dtype`, or nil on a negative extent or overflow.
    static func byteCount(shape: [Int], dtype: ScalarType) -> Int? {
        var n = dtype.byteSize
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            n = p
        }
        return n
    }
}
