/// Reads little-endian GGUF structures from a byte buffer, checking every length against what is left.
///
/// Works on the raw mapping with an index (no `Data` slicing): a 49k-entry vocabulary parses in milliseconds.
struct GGUFCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var position = 0

    /// Nested arrays deeper than this are refused, so a crafted file cannot exhaust the stack.
    static let maxArrayDepth = 8

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var remaining: Int { bytes.count - position }

    func error(_ kind: GGUFError.Kind, _ fault: String) -> GGUFError {
        GGUFError(path: path, kind: kind, fault)
    }

    // MARK: - Scalars

    private mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n <= remaining else {
            throw error(.truncated, "file ends at \(bytes.count) bytes inside \(what()) (needs \(n) bytes at offset \(position))")
        }
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try need(MemoryLayout<T>.size, what())
        let v = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    /// A u64 count or length that must fit in `Int` and in the bytes left, given each item takes at least `minItemBytes`.
    mutating func count(_ what: @autoclosure () -> String, minItemBytes: Int) throws -> Int {
        let start = position
        let raw = try load(UInt64.self, what())
        guard let n = Int(exactly: raw), n <= remaining / max(minItemBytes, 1) else {
            throw error(.truncated, "\(what()) at offset \(start) claims \(raw) items but only \(remaining) bytes follow")
        }
        return n
    }

    /// A gguf_string: u64 byte length, then that many bytes of UTF-8.
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let start = position
        let n = try count("length of \(what())", minItemBytes: 1)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + n)])
        guard let s = String(validating: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw error(.invalidMetadata, "\(what()) at offset \(start) is not valid UTF-8")
        }
        position += n
        return s
    }

    // MARK: - Metadata values

    /// A value of GGUF type `typeID` (gguf.md `gguf_metadata_value_type`).
    mutating func value(typeID: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch typeID {
        case 0: return .uint8(try load(UInt8.self, "value of '\(key)'"))
        case 1: return .int8(try load(Int8.self, "value of '\(key)'"))
        case 2: return .uint16(try load(UInt16.self, "value of '\(key)'"))
        case 3: return .int16(try load(Int16.self, "value of '\(key)'"))
        case 4: return .uint32(try load(UInt32.self, "value of '\(key)'"))
        case 5: return .int32(try load(Int32.self, "value of '\(key)'"))
        case 6: return .float32(Float(bitPattern: try load(UInt32.self, "value of '\(key)'")))
        case 7:
            let start = position
            let b = try load(UInt8.self, "value of '\(key)'")
            guard b <= 1 else { throw error(.invalidMetadata, "bool '\(key)' at offset \(start) has byte \(b), not 0 or 1") }
            return .bool(b == 1)
        case 8: return .string(try string("string value of '\(key)'"))
        case 9: return .array(try array(key: key, depth: depth))
        case 10: return .uint64(try load(UInt64.self, "value of '\(key)'"))
        case 11: return .int64(try load(Int64.self, "value of '\(key)'"))
        case 12: return .float64(Double(bitPattern: try load(UInt64.self, "value of '\(key)'")))
        default:
            throw error(.invalidMetadata, "metadata '\(key)' has unknown value type \(typeID) at offset \(position - 4)")
        }
    }

    /// Smallest encoded size of one value of `typeID`, used to bound an array count before allocating.
    static func minimumSize(typeID: UInt32) -> Int {
        switch typeID {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8, 10, 11, 12: 8
        case 9: 12
        default: 1
        }
    }

    private mutating func array(key: String, depth: Int) throws -> [GGUFValue] {
        guard depth < Self.maxArrayDepth else {
            throw error(.invalidMetadata, "metadata '\(key)' nests arrays deeper than \(Self.maxArrayDepth)")
        }
        let element = try load(UInt32.self, "element type of array '\(key)'")
        guard element <= 12 else {
            throw error(.invalidMetadata, "array '\(key)' has unknown element type \(element) at offset \(position - 4)")
        }
        let n = try count("count of array '\(key)'", minItemBytes: Self.minimumSize(typeID: element))
        var out: [GGUFValue] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            out.append(try value(typeID: element, key: key, depth: depth + 1))
        }
        return out
    }
}
