/// Serializes GGUF scalars, strings and metadata values (little-endian) into a byte buffer.
struct GGUFEncoder {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    /// The value's payload (its type id is written by the caller, or by the enclosing array).
    mutating func value(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): bytes.append(x)
        case .int8(let x): bytes.append(UInt8(bitPattern: x))
        case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
        case .int16(let x): withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
        case .uint32(let x): u32(x)
        case .int32(let x): u32(UInt32(bitPattern: x))
        case .float32(let x): u32(x.bitPattern)
        case .bool(let x): bytes.append(x ? 1 : 0)
        case .string(let s): string(s)
        case .array(let a):
            // An empty array has no element to name its type; uint8 reads back as the same empty array.
            u32(a.first?.typeID ?? 0)
            u64(UInt64(a.count))
            for element in a { value(element) }
        case .uint64(let x): u64(x)
        case .int64(let x): u64(UInt64(bitPattern: x))
        case .float64(let x): u64(x.bitPattern)
        }
    }

    /// Why `v` cannot be written, if it cannot: arrays must be homogeneous and no deeper than the reader accepts.
    static func fault(in v: GGUFValue, key: String, depth: Int = 0) -> String? {
        guard case .array(let a) = v else { return nil }
        guard depth < GGUFCursor.maxArrayDepth else {
            return "metadata '\(key)' nests arrays deeper than \(GGUFCursor.maxArrayDepth)"
        }
        guard let first = a.first else { return nil }
        for element in a {
            guard element.typeID == first.typeID else {
                return "metadata array '\(key)' mixes value types \(first.typeID) and \(element.typeID)"
            }
            if let f = fault(in: element, key: key, depth: depth + 1) { return f }
        }
        return nil
    }
}
