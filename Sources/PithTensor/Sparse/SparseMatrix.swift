/// A (rows, cols) weight stored in a `SparseScheme`: its serialized bytes (docs/SPARSITY.md), checked once.
///
/// Build one from dense floats with `encode(_:rows:cols:scheme:)` (zeros are dropped; N:M keeps exactly N per group),
/// or from untrusted bytes with `init(validating:)`. `decodeDense()` gives the floats back, `product` computes
/// y = x · Wᵀ with the native kernels, `referenceProduct` with plain Swift loops.
public struct SparseMatrix: Sendable, Equatable {
    public var scheme: SparseScheme { header.scheme }
    public var rows: Int { header.rows }
    public var cols: Int { header.cols }
    /// Values stored (kept positions; for N:M and dense every slot, zeros included).
    public var storedCount: Int { header.nnz }
    /// The serialized weight: header and sections, exactly `byteCount` bytes.
    public let bytes: [UInt8]
    public var byteCount: Int { bytes.count }

    let header: SparseHeader
    let sections: SparseSections

    /// Parses and checks untrusted bytes: every header field, every size against the buffer, every index, row
    /// pointer, mask bit and scale. Throws `SparseFormatError` on the first fault; never reads out of bounds and
    /// allocates nothing sized by the data before its size is checked against `bytes.count`.
    public init(validating bytes: [UInt8]) throws {
        let (header, sections) = try bytes.withUnsafeBytes { try SparseMatrix.validate($0) }
        self.header = header
        self.sections = sections
        self.bytes = bytes
    }

    /// The same, from a buffer (copied once validated).
    public init(validating buffer: UnsafeRawBufferPointer) throws {
        let (header, sections) = try SparseMatrix.validate(buffer)
        self.header = header
        self.sections = sections
        self.bytes = Array(buffer)
    }

    init(trusted bytes: [UInt8], header: SparseHeader, sections: SparseSections) {
        self.bytes = bytes
        self.header = header
        self.sections = sections
    }

    public static func == (a: SparseMatrix, b: SparseMatrix) -> Bool { a.bytes == b.bytes }

    /// Bits stored per weight position (rows × cols), headers and padding included.
    public var bitsPerWeight: Double {
        rows * cols == 0 ? 0 : Double(byteCount * 8) / Double(rows * cols)
    }

    // MARK: - Encoding

    /// Encodes a dense (rows, cols) row-major matrix. Positions holding ±0 are dropped (bitmask, CSR); N:M keeps
    /// every nonzero of a group and fills it up to N with its first zero positions; dense keeps everything.
    /// Throws `.unsupported` when the scheme cannot hold the shape, `.pattern` when a group has more than N nonzeros
    /// or an integer format meets a non-finite value.
    public static func encode(_ dense: [Float], rows: Int, cols: Int, scheme: SparseScheme) throws -> SparseMatrix {
        if let problem = scheme.problem(cols: cols) { throw SparseFormatError.unsupported(problem) }
        // The stored scheme names its CSR index width, as the header does.
        var scheme = scheme
        if scheme.layout == .csr { scheme.indexBytes = scheme.columnIndexBytes(cols: cols) }
        guard rows >= 0, rows <= Int(UInt32.max), dense.count == rows * cols else {
            throw SparseFormatError.unsupported("\(dense.count) values are not \(rows)×\(cols)")
        }
        var columns: [Int] = []          // column of each stored value, rows back to back
        var rowStarts: [Int] = [0]
        for r in 0..<rows {
            let row = dense[(r * cols)..<((r + 1) * cols)]
            switch scheme.layout {
            case .dense: columns.append(contentsOf: 0..<cols)
            case .bitmask, .csr: columns.append(contentsOf: row.indices.filter { row[$0] != 0 }.map { $0 - r * cols })
            case .nm: columns.append(contentsOf: try keptNM(row, row: r, cols: cols, n: scheme.n, m: scheme.m))
            }
            rowStarts.append(columns.count)
        }
        let values = (0..<rows).flatMap { r in columns[rowStarts[r]..<rowStarts[r + 1]].map { dense[r * cols + $0] } }
        let quantized = try SparseValueCoding.quantize(values, rowStarts: rowStarts, scheme: scheme)
        let header = SparseHeader(scheme: scheme, rows: rows, cols: cols, nnz: values.count)
        let sections = try SparseSections(header)
        var out = [UInt8](repeating: 0, count: sections.total)
        out.replaceSubrange(0..<SparseHeader.byteCount, with: header.encoded())
        func put(_ bytes: [UInt8], at range: Range<Int>) { out.replaceSubrange(range.lowerBound..<(range.lowerBound + bytes.count), with: bytes) }
        if scheme.layout.hasRowPointers {
            var p: [UInt8] = []
            for s in rowStarts { SparseHeader.append(UInt64(s), bytes: 4, to: &p) }
            put(p, at: sections.rowPointers)
        }
        put(positionBytes(columns, rowStarts: rowStarts, header: header, sections: sections), at: sections.positions)
        put(SparseValueCoding.pack(values: values, codes: quantized.codes, format: scheme.values), at: sections.values)
        var s: [UInt8] = []
        for h in quantized.scales { SparseHeader.append(UInt64(h), bytes: 2, to: &s) }
        put(s, at: sections.scales)
        return SparseMatrix(trusted: out, header: header, sections: sections)
    }

    /// The kept columns of one N:M row: each group's nonzeros, topped up with its first zeros to exactly N.
    static func keptNM(_ row: ArraySlice<Float>, row r: Int, cols: Int, n: Int, m: Int) throws -> [Int] {
        var kept: [Int] = []
        kept.reserveCapacity(cols / m * n)
        let base = row.startIndex
        for g in stride(from: 0, to: cols, by: m) {
            let nonzero = (g..<(g + m)).filter { row[base + $0] != 0 }
            guard nonzero.count <= n else {
                throw SparseFormatError.pattern("row \(r), columns \(g)..<\(g + m): \(nonzero.count) nonzeros, \(n):\(m) keeps \(n)")
            }
            let fill = (g..<(g + m)).filter { row[base + $0] == 0 }.prefix(n - nonzero.count)
            kept.append(contentsOf: (nonzero + fill).sorted())
        }
        return kept
    }

    /// The positions section: N:M in-group indices in bit-plane sub-blocks, bitmask words, or CSR column indices.
    static func positionBytes(_ columns: [Int], rowStarts: [Int], header h: SparseHeader, sections: SparseSections) -> [UInt8] {
        let s = h.scheme
        var out = [UInt8](repeating: 0, count: sections.positions.count)
        switch s.layout {
        case .dense: break
        case .nm:
            let perRow = h.cols / s.m * s.n, sub = 4 * s.indexBits
            var codes = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { o in
                guard let base = o.baseAddress else { return }
                for r in 0..<h.rows {
                    for b in 0..<(sections.positionRowBytes / sub) {
                        for j in 0..<32 {
                            let k = b * 32 + j
                            codes[j] = k < perRow ? UInt8(columns[r * perRow + k] % s.m) : 0
                        }
                        codes.withUnsafeBufferPointer { q in
                            if let qb = q.baseAddress {
                                QuantizedMatrix.packSubBlock(qb, bits: s.indexBits, into: base + r * sections.positionRowBytes + b * sub)
                            }
                        }
                    }
                }
            }
        case .bitmask:
            for r in 0..<h.rows {
                for c in columns[rowStarts[r]..<rowStarts[r + 1]] {
                    out[r * sections.positionRowBytes + c / 8] |= 1 << UInt8(c % 8)
                }
            }
        case .csr:
            let width = s.columnIndexBytes(cols: h.cols)
            for (i, c) in columns.enumerated() {
                for b in 0..<width { out[i * width + b] = UInt8(truncatingIfNeeded: c >> (8 * b)) }
            }
        }
        return out
    }
}
