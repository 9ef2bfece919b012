/// The element type of a dense tensor.
public enum ScalarType: String, Codable, Sendable, CaseIterable {
    case f64, f32, f16, bf16
    case i64, i32, i16, i8, u8
    case bool

    /// Bytes one element occupies.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Whether elements are floating-point numbers (weights), as opposed to integers and flags (ids, buffers).
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: true
        case .i64, .i32, .i16, .i8, .u8, .bool: false
        }
    }
}
