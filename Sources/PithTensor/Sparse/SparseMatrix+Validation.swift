/// Checking untrusted bytes before any kernel reads them (docs/SPARSITY.md, "Validation").
///
/// Order matters: the header's sizes are derived with overflow checks and compared with the buffer length before
/// anything else is read; row pointers are checked to start at 0, never decrease and end at the value count before
/// they are used as offsets; only then are each row's positions read.
extension SparseMatrix {
    static func validate(_ p: UnsafeRawBufferPointer) throws -> (SparseHeader, SparseSections) {
        let header = try SparseHeader(parsing: p)
        let sections = try SparseSections(header)
        guard p.count >= sections.total else { throw SparseFormatError.truncated(needed: sections.total, available: p.count) }
        guard p.count == sections.total else {
            throw SparseFormatError.badHeader("\(p.count - sections.total) bytes after the last section")
        }
        try checkPadding(p, sections)
        let s = header.scheme
        if s.layout.hasRowPointers { try checkRowPointers(p, header, sections) }
        switch s.layout {
        case .dense: break
        case .nm: try checkNM(p, header, sections)
        case .bitmask: try checkBitmask(p, header, sections)
        case .csr: try checkCSR(p, header, sections)
        }
        try checkValues(p, header, sections)
        return (header, sections)
    }

    /// Bytes between sections are zero, so one matrix has one serialization.
    static func checkPadding(_ p: UnsafeRawBufferPointer, _ s: SparseSections) throws {
        var end = SparseHeader.byteCount
        for range in [s.rowPointers, s.positions, s.values, s.scales] where !range.isEmpty {
            if p[end..<range.lowerBound].contains(where: { $0 != 0 }) { throw SparseFormatError.badData("nonzero padding before byte \(range.lowerBound)") }
            end = range.upperBound
        }
    }

    static func u32(_ p: UnsafeRawBufferPointer, _ offset: Int) -> Int { Int(SparseHeader.read(p, offset, bytes: 4)) }

    static func checkRowPointers(_ p: UnsafeRawBufferPointer, _ h: SparseHeader, _ s: SparseSections) throws {
        let base = s.rowPointers.lowerBound
        guard u32(p, base) == 0 else { throw SparseFormatError.badData("the first row pointer is \(u32(p, base)), not 0") }
        var previous = 0
        for r in stride(from: 1, through: h.rows, by: 1) {
            let next = u32(p, base + 4 * r)
            guard next >= previous else { throw SparseFormatError.badData("row pointer \(r) (\(next)) is below row pointer \(r - 1) (\(previous))") }
            guard next - previous <= h.cols else { throw SparseFormatError.badData("row \(r - 1) claims \(next - previous) values in \(h.cols) columns") }
            previous = next
        }
        guard previous == h.nnz else { throw SparseFormatError.badData("row pointers end at \(previous), the header stores \(h.nnz) values") }
    }

    /// Row pointer r of validated bytes.
    static func rowPointer(_ p: UnsafeRawBufferPointer, _ s: SparseSections, _ r: Int) -> Int { u32(p, s.rowPointers.lowerBound + 4 * r) }

    static func checkNM(_ p: UnsafeRawBufferPointer, _ h: SparseHeader, _ s: SparseSections) throws {
        let scheme = h.scheme, perRow = h.cols / scheme.m * scheme.n, sub = 4 * scheme.indexBits
        guard let base = p.baseAddress else { return }
        var codes = [UInt8](repeating: 0, count: 32)
        for r in 0..<h.rows {
            var previous = -1
            for b in 0..<(s.positionRowBytes / sub) {
                codes.withUnsafeMutableBufferPointer { q in
                    if let qb = q.baseAddress {
                        QuantizedMatrix.unpackSubBlock(base + s.positions.lowerBound + r * s.positionRowBytes + b * sub, bits: scheme.indexBits, into: qb)
                    }
                }
                for j in 0..<32 {
                    let k = b * 32 + j, index = Int(codes[j])
                    guard k < perRow else {
                        if index != 0 { throw SparseFormatError.badData("row \(r): padding index \(k) is \(index), not 0") }
                        continue
                    }
                    if k % scheme.n == 0 { previous = -1 }
                    // In-group indices strictly increase, so a group keeps N distinct positions; bits bound them by M.
                    guard index > previous, index < scheme.m else {
                        throw SparseFormatError.badData("row \(r), group \(k / scheme.n): index \(index) after \(previous) (indices must increase)")
                    }
                    previous = index
                }
            }
        }
    }

    static func checkBitmask(_ p: UnsafeRawBufferPointer, _ h: SparseHeader, _ s: SparseSections) throws {
        let words = s.positionRowBytes / 8
        for r in 0..<h.rows {
            var count = 0
            for w in 0..<words {
                let word = SparseHeader.read(p, s.positions.lowerBound + r * s.positionRowBytes + 8 * w, bytes: 8)
                let valid = min(64, h.cols - 64 * w)
                if valid < 64, word >> UInt64(valid) != 0 { throw SparseFormatError.badData("row \(r): mask bits set beyond column \(h.cols)") }
                count += word.nonzeroBitCount
            }
            let claimed = rowPointer(p, s, r + 1) - rowPointer(p, s, r)
            guard count == claimed else { throw SparseFormatError.badData("row \(r): mask has \(count) bits, row pointers say \(claimed)") }
        }
    }

    static func checkCSR(_ p: UnsafeRawBufferPointer, _ h: SparseHeader, _ s: SparseSections) throws {
        let width = h.scheme.columnIndexBytes(cols: h.cols)
        for r in 0..<h.rows {
            var previous = -1
            for i in rowPointer(p, s, r)..<rowPointer(p, s, r + 1) {
                let c = Int(SparseHeader.read(p, s.positions.lowerBound + i * width, bytes: width))
                guard c < h.cols else { throw SparseFormatError.badData("row \(r): column \(c) is outside 0..<\(h.cols)") }
                guard c > previous else { throw SparseFormatError.badData("row \(r): column \(c) after \(previous) (columns must increase)") }
                previous = c
            }
        }
    }

    /// Scales are finite; int4 padding codes past the last value are zero.
    static func checkValues(_ p: UnsafeRawBufferPointer, _ h: SparseHeader, _ s: SparseSections) throws {
        for k in 0..<(s.scales.count / 2) {
            let bits = UInt16(SparseHeader.read(p, s.scales.lowerBound + 2 * k, bytes: 2))
            guard Half.toFloat(bits).isFinite else { throw SparseFormatError.badData("scale \(k) is not finite") }
        }
        if h.scheme.values == .int4, h.nnz % 32 != 0 {
            let last = s.values.lowerBound + (h.nnz / 32) * 16
            for j in (h.nnz % 32)..<32 {
                let byte = p[last + j % 16]
                if (j < 16 ? byte & 15 : byte >> 4) != 0 { throw SparseFormatError.badData("int4 padding code \(j) is not zero") }
            }
        }
    }
}
