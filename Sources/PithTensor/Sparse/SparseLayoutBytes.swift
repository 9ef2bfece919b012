/// The serialized form of a sparse weight: a 32-byte header, then sections at 64-byte aligned offsets.
/// docs/SPARSITY.md describes every byte; this file is the single place that computes where each section lies.
struct SparseHeader: Equatable {
    static let magic: [UInt8] = Array("PSPW".utf8)
    static let version: UInt8 = 1
    static let byteCount = 32
    /// Sections start at multiples of this many bytes from the start of the buffer (zero padding between).
    static let alignment = 64

    var scheme: SparseScheme
    var rows: Int
    var cols: Int
    /// Values stored (kept positions; N:M and dense count every kept slot, zeros included).
    var nnz: Int

    /// The 32 header bytes.
    func encoded() -> [UInt8] {
        var out = SparseHeader.magic
        out += [SparseHeader.version, scheme.layout.code, scheme.values.traits.code, UInt8(scheme.columnIndexBytes(cols: cols))]
        SparseHeader.append(UInt64(rows), bytes: 4, to: &out)
        SparseHeader.append(UInt64(cols), bytes: 4, to: &out)
        out += [UInt8(scheme.n), UInt8(scheme.m), 0, 0]
        SparseHeader.append(UInt64(scheme.groupSize), bytes: 4, to: &out)
        SparseHeader.append(UInt64(nnz), bytes: 8, to: &out)
        return out
    }

    static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    static func read(_ p: UnsafeRawBufferPointer, _ offset: Int, bytes: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<bytes { v |= UInt64(p[offset + i]) << (8 * UInt64(i)) }
        return v
    }

    /// Parses and checks the header of untrusted bytes (every field; sizes are checked by `sections()`).
    init(parsing p: UnsafeRawBufferPointer) throws {
        guard p.count >= SparseHeader.byteCount else { throw SparseFormatError.truncated(needed: SparseHeader.byteCount, available: p.count) }
        guard Array(p[0..<4]) == SparseHeader.magic else { throw SparseFormatError.badHeader("magic is not PSPW") }
        guard p[4] == SparseHeader.version else { throw SparseFormatError.badHeader("version \(p[4]) (this reader knows \(SparseHeader.version))") }
        guard let layout = SparseLayout.from(code: p[5]) else { throw SparseFormatError.badHeader("layout code \(p[5])") }
        guard let values = SparseValueFormat.from(code: p[6]) else { throw SparseFormatError.badHeader("value format code \(p[6])") }
        guard p[18] == 0, p[19] == 0 else { throw SparseFormatError.badHeader("reserved bytes are not zero") }
        let indexBytes = Int(p[7])
        let rows = Int(SparseHeader.read(p, 8, bytes: 4)), cols = Int(SparseHeader.read(p, 12, bytes: 4))
        let group = Int(SparseHeader.read(p, 20, bytes: 4))
        let nnz64 = SparseHeader.read(p, 24, bytes: 8)
        guard nnz64 <= UInt64(Int.max) else { throw SparseFormatError.badHeader("value count \(nnz64) is too large") }
        var scheme = SparseScheme(layout: layout, values: values, n: Int(p[16]), m: Int(p[17]), groupSize: group)
        if layout == .csr {
            guard indexBytes == 2 || indexBytes == 4 else { throw SparseFormatError.badHeader("CSR index width \(indexBytes)") }
            scheme.indexBytes = indexBytes
        } else if indexBytes != 0 {
            throw SparseFormatError.badHeader("index width \(indexBytes) on a \(layout.rawValue) layout")
        }
        guard cols > 0 else { throw SparseFormatError.badHeader("zero columns") }
        if let problem = scheme.problem(cols: cols) { throw SparseFormatError.badHeader(problem) }
        self.init(scheme: scheme, rows: rows, cols: cols, nnz: Int(nnz64))
    }

    init(scheme: SparseScheme, rows: Int, cols: Int, nnz: Int) {
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        self.nnz = nnz
    }
}

/// Byte ranges of a sparse weight's sections, derived from its header alone (nothing is read from the sections).
struct SparseSections: Equatable {
    /// (rows + 1) u32 counts of values before each row; bitmask and CSR only (else empty).
    var rowPointers: Range<Int>
    /// N:M: per row, in-group indices in sub-blocks of 32 (bit planes); bitmask: per row, ⌈cols/64⌉ u64 words;
    /// CSR: one column index per value; dense: empty.
    var positions: Range<Int>
    /// The value stream (nnz values in the value format).
    var values: Range<Int>
    /// f16 scales: one per row (group 0) or one per group of stored values; empty for float values.
    var scales: Range<Int>
    /// Bytes of one row's positions (N:M, bitmask), else 0.
    var positionRowBytes: Int
    /// Total bytes: the buffer must be exactly this long.
    var total: Int

    /// Kept values per row for layouts where every row keeps the same number (dense, N:M).
    static func fixedRowCount(_ h: SparseHeader) -> Int? {
        switch h.scheme.layout {
        case .dense: h.cols
        case .nm: h.cols / h.scheme.m * h.scheme.n
        case .bitmask, .csr: nil
        }
    }

    /// Section ranges for `h`; throws when a size overflows or the value count cannot be right for the shape.
    init(_ h: SparseHeader) throws {
        let s = h.scheme
        func mul(_ a: Int, _ b: Int) throws -> Int {
            let (r, o) = a.multipliedReportingOverflow(by: b)
            if o { throw SparseFormatError.badHeader("size of a \(h.rows)×\(h.cols) \(s) weight overflows") }
            return r
        }
        func ceilDiv(_ a: Int, _ b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }
        let capacity = try mul(h.rows, h.cols)
        if let perRow = SparseSections.fixedRowCount(h) {
            let expected = try mul(h.rows, perRow)
            guard h.nnz == expected else { throw SparseFormatError.badHeader("value count \(h.nnz), the shape holds \(expected)") }
        } else {
            guard h.nnz <= capacity else { throw SparseFormatError.badHeader("value count \(h.nnz) exceeds \(h.rows)×\(h.cols)") }
            // Row pointers are u32.
            guard h.nnz <= Int(UInt32.max) else { throw SparseFormatError.badHeader("value count \(h.nnz) exceeds 2^32−1") }
        }
        let pointerBytes = s.layout.hasRowPointers ? try mul(h.rows + 1, 4) : 0
        var rowBytes = 0, positionBytes = 0
        switch s.layout {
        case .dense: break
        case .nm:
            rowBytes = ceilDiv(h.cols / s.m * s.n, 32) * 4 * s.indexBits
            positionBytes = try mul(h.rows, rowBytes)
        case .bitmask:
            rowBytes = ceilDiv(h.cols, 64) * 8
            positionBytes = try mul(h.rows, rowBytes)
        case .csr:
            positionBytes = try mul(h.nnz, s.columnIndexBytes(cols: h.cols))
        }
        guard let valueBytes = s.values.streamBytes(count: h.nnz) else { throw SparseFormatError.badHeader("value bytes overflow") }
        var scaleBytes = 0
        if s.values.traits.quantized {
            scaleBytes = try mul(s.groupSize == 0 ? h.rows : ceilDiv(h.nnz, s.groupSize), 2)
        }
        var offset = SparseHeader.byteCount
        func place(_ bytes: Int) throws -> Range<Int> {
            guard bytes > 0 else { return offset..<offset }
            let a = SparseHeader.alignment
            let (padded, o1) = offset.addingReportingOverflow(a - 1)
            let start = padded / a * a
            let (end, o2) = start.addingReportingOverflow(bytes)
            if o1 || o2 { throw SparseFormatError.badHeader("section offsets overflow") }
            offset = end
            return start..<end
        }
        rowPointers = try place(pointerBytes)
        positions = try place(positionBytes)
        values = try place(valueBytes)
        scales = try place(scaleBytes)
        positionRowBytes = rowBytes
        total = offset
    }
}
