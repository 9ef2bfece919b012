/// One GGUF metadata value, typed as the file types it.
///
/// Not `indirect`: arrays already box their elements, and boxing every scalar would cost an allocation per vocabulary entry.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array([GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The value as an `Int` when it is an integer that fits.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(exactly: v)
        default: nil
        }
    }

    /// The value as a `Double` when it is a number (integers included).
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        case .uint64(let v): Double(v)
        case .int64(let v): Double(v)
        default: int.map(Double.init)
        }
    }

    /// The value when it is a string.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value when it is a bool.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements when the value is an array.
    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The elements when the value is an array of strings only.
    public var strings: [String]? {
        guard case .array(let a) = self else { return nil }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for element in a {
            guard case .string(let s) = element else { return nil }
            out.append(s)
        }
        return out
    }

    /// The elements when the value is an array of integers that all fit in `Int`.
    public var ints: [Int]? {
        guard case .array(let a) = self else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for element in a {
            guard let v = element.int else { return nil }
            out.append(v)
        }
        return out
    }

    /// The elements as `Float` when the value is an array of numbers.
    public var floats: [Float]? {
        guard case .array(let a) = self else { return nil }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for element in a {
            if case .float32(let v) = element { out.append(v); continue }
            guard let v = element.double else { return nil }
            out.append(Float(v))
        }
        return out
    }

    /// The GGUF type id of this value (gguf.md `gguf_metadata_value_type`).
    public var typeID: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }
}

extension GGUFValue: CustomStringConvertible {
    /// A short rendering; long arrays are elided so a vocabulary does not flood a log line.
    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .array(let a):
            let head = a.prefix(8).map(\.description).joined(separator: ", ")
            return a.count > 8 ? "[\(head), … (\(a.count) items)]" : "[\(head)]"
        case .bool(let b): return "\(b)"
        case .float32(let v): return "\(v)"
        case .float64(let v): return "\(v)"
        default: return int.map { "\($0)" } ?? (double.map { "\($0)" } ?? "?")
        }
    }
}
