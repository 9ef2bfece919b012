/// How a sparse weight stores which positions it keeps (docs/SPARSITY.md has the bytes).
public enum SparseLayout: String, Codable, Sendable, CaseIterable {
    /// Every position kept, row-major: the fallback when sparsity does not pay.
    case dense
    /// N:M: in every group of M consecutive values of a row, exactly N are kept, with their in-group indices.
    case nm = "n:m"
    /// One bit per position (a u64 word per 64 columns of a row), then the kept values in order.
    case bitmask
    /// Compressed sparse rows: row pointers, column indices (u16 or u32), values.
    case csr

    /// The byte that names the layout in the header.
    var code: UInt8 { SparseLayout.codes[self] ?? 0 }
    static let codes: [SparseLayout: UInt8] = [.dense: 0, .nm: 1, .bitmask: 2, .csr: 3]
    static func from(code: UInt8) -> SparseLayout? { codes.first { $0.value == code }?.key }
    /// Layouts whose rows keep different numbers of values, located by a row-pointer section.
    var hasRowPointers: Bool { self == .bitmask || self == .csr }
}

/// How the kept values are stored: one row of `SparseValueFormat.traits` per format.
public enum SparseValueFormat: String, Codable, Sendable, CaseIterable {
    case f32, f16, int8, int4

    /// A value format's facts; every size and check is derived from these.
    struct Traits {
        let code: UInt8
        /// Values per storage unit and bytes per unit: int4 packs 32 values in 16 bytes (ggml's nibble order).
        let unitValues: Int
        let unitBytes: Int
        /// Integer codes with f16 scales.
        let quantized: Bool
        /// Largest magnitude of a signed code (value = scale · code; int4 stores code + 8 in a nibble).
        let maxCode: Int
        /// Whether one scale per row (group size 0) is allowed.
        let allowsRowScale: Bool
    }

    static let table: [SparseValueFormat: Traits] = [
        .f32: Traits(code: 0, unitValues: 1, unitBytes: 4, quantized: false, maxCode: 0, allowsRowScale: false),
        .f16: Traits(code: 1, unitValues: 1, unitBytes: 2, quantized: false, maxCode: 0, allowsRowScale: false),
        .int8: Traits(code: 2, unitValues: 1, unitBytes: 1, quantized: true, maxCode: 127, allowsRowScale: true),
        .int4: Traits(code: 3, unitValues: 32, unitBytes: 16, quantized: true, maxCode: 8, allowsRowScale: false),
    ]

    var traits: Traits {
        // Every case has a row; the fallback only silences the optional.
        SparseValueFormat.table[self] ?? Traits(code: 0, unitValues: 1, unitBytes: 4, quantized: false, maxCode: 0, allowsRowScale: false)
    }

    static func from(code: UInt8) -> SparseValueFormat? { table.first { $0.value.code == code }?.key }

    /// Bytes of a stream of `count` values, or nil on overflow.
    func streamBytes(count: Int) -> Int? {
        let t = traits
        let (units, o1) = (count / t.unitValues + (count % t.unitValues == 0 ? 0 : 1)).multipliedReportingOverflow(by: t.unitBytes)
        return o1 ? nil : units
    }
}

/// A sparse weight encoding: layout, value format, N:M shape, and scale grouping. Stored in graph metadata as JSON.
///
/// Group size counts *kept* values along the stored stream: int4 needs a positive multiple of 32; int8 takes 0 (one
/// scale per row) or a positive multiple of 32; f32/f16 have no scales (0).
public struct SparseScheme: Codable, Hashable, Sendable, CustomStringConvertible {
    public var layout: SparseLayout
    public var values: SparseValueFormat
    /// N:M only: values kept per group (1 ≤ n < m) and the group length (4 or 8); 0 for other layouts.
    public var n: Int
    public var m: Int
    /// Stored values per scale (see the type's note).
    public var groupSize: Int
    /// CSR only: bytes of a column index (2 or 4); nil picks the smallest that can address every column.
    public var indexBytes: Int?

    public init(layout: SparseLayout, values: SparseValueFormat, n: Int = 0, m: Int = 0, groupSize: Int = 0, indexBytes: Int? = nil) {
        self.layout = layout
        self.values = values
        self.n = n
        self.m = m
        self.groupSize = groupSize
        self.indexBytes = indexBytes
    }

    /// N:M with `values`; int4 defaults to a scale per 32 kept values.
    public static func nm(_ n: Int, _ m: Int, values: SparseValueFormat, groupSize: Int? = nil) -> SparseScheme {
        SparseScheme(layout: .nm, values: values, n: n, m: m, groupSize: groupSize ?? defaultGroup(values))
    }

    public static func bitmask(values: SparseValueFormat, groupSize: Int? = nil) -> SparseScheme {
        SparseScheme(layout: .bitmask, values: values, groupSize: groupSize ?? defaultGroup(values))
    }

    public static func csr(values: SparseValueFormat, groupSize: Int? = nil, indexBytes: Int? = nil) -> SparseScheme {
        SparseScheme(layout: .csr, values: values, groupSize: groupSize ?? defaultGroup(values), indexBytes: indexBytes)
    }

    public static func dense(values: SparseValueFormat, groupSize: Int? = nil) -> SparseScheme {
        SparseScheme(layout: .dense, values: values, groupSize: groupSize ?? defaultGroup(values))
    }

    /// int4: 32 kept values per scale; int8: one scale per row; floats: none.
    static func defaultGroup(_ values: SparseValueFormat) -> Int { values == .int4 ? 32 : 0 }

    enum CodingKeys: String, CodingKey {
        case layout, values, n, m
        case groupSize = "group_size"
        case indexBytes = "index_bytes"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layout = try c.decode(SparseLayout.self, forKey: .layout)
        values = try c.decode(SparseValueFormat.self, forKey: .values)
        n = try c.decodeIfPresent(Int.self, forKey: .n) ?? 0
        m = try c.decodeIfPresent(Int.self, forKey: .m) ?? 0
        groupSize = try c.decodeIfPresent(Int.self, forKey: .groupSize) ?? SparseScheme.defaultGroup(values)
        indexBytes = try c.decodeIfPresent(Int.self, forKey: .indexBytes)
        if let problem = problem(cols: nil) {
            throw DecodingError.dataCorruptedError(forKey: .layout, in: c, debugDescription: problem)
        }
    }

    // MARK: - Validation and derived sizes

    /// Bits of one in-group index for N:M (2 for M = 4, 3 for M = 8).
    var indexBits: Int { m == 8 ? 3 : 2 }

    /// Why this scheme cannot store rows of `cols` values (nil: it can). `cols` nil checks the scheme alone.
    public func problem(cols: Int?) -> String? {
        let t = values.traits
        if layout == .nm {
            guard m == 4 || m == 8 else { return "N:M groups are 4 or 8 values long, not \(m)" }
            guard n >= 1, n < m else { return "N:M keeps 1…\(m - 1) of \(m) values, not \(n)" }
        } else if n != 0 || m != 0 {
            return "n and m belong to the n:m layout only"
        }
        if let b = indexBytes {
            guard layout == .csr else { return "index_bytes belongs to the csr layout only" }
            guard b == 2 || b == 4 else { return "CSR column indices take 2 or 4 bytes, not \(b)" }
        }
        if t.quantized {
            guard groupSize >= 0, groupSize % 32 == 0 else { return "group size \(groupSize) is not a multiple of 32" }
            guard groupSize > 0 || t.allowsRowScale else { return "\(values.rawValue) needs a group size (kept values per scale)" }
            guard groupSize <= 1 << 24 else { return "group size \(groupSize) is larger than 2^24" }
        } else if groupSize != 0 {
            return "\(values.rawValue) values have no scales (group size must be 0)"
        }
        guard let cols else { return nil }
        guard cols > 0, cols <= Int(UInt32.max) else { return "rows of \(cols) values are outside 1…2^32−1" }
        if layout == .nm, cols % m != 0 {
            return "rows of \(cols) values do not split into N:M groups of \(m)"
        }
        if let b = indexBytes, b == 2, cols > 1 << 16 { return "u16 column indices cannot address \(cols) columns" }
        return nil
    }

    /// CSR column index width for rows of `cols` values.
    func columnIndexBytes(cols: Int) -> Int {
        guard layout == .csr else { return 0 }
        return indexBytes ?? (cols <= 1 << 16 ? 2 : 4)
    }

    /// A short name for reports: "2:4-int4-g32", "bitmask-int8-row", "csr-int8-row-u16", "dense-f16".
    public var description: String {
        let shape = layout == .nm ? "\(n):\(m)" : layout.rawValue
        var name = "\(shape)-\(values.rawValue)"
        if values.traits.quantized { name += groupSize == 0 ? "-row" : "-g\(groupSize)" }
        if let b = indexBytes { name += "-u\(b * 8)" }
        return name
    }
}
