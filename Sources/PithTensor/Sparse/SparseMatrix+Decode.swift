/// Reading a validated sparse weight back: stored positions, codes, dense floats, and the scalar reference product.
extension SparseMatrix {
    /// Calls body(column, streamIndex) for every stored value of row r, in column order.
    func forEachStored(row r: Int, in p: UnsafeRawBufferPointer, _ body: (Int, Int) -> Void) {
        let s = scheme, sec = sections
        switch s.layout {
        case .dense:
            for c in 0..<cols { body(c, r * cols + c) }
        case .nm:
            guard let base = p.baseAddress else { return }
            let perRow = cols / s.m * s.n, sub = 4 * s.indexBits
            var codes = [UInt8](repeating: 0, count: 32)
            for b in 0..<(sec.positionRowBytes / sub) {
                codes.withUnsafeMutableBufferPointer { q in
                    if let qb = q.baseAddress {
                        QuantizedMatrix.unpackSubBlock(base + sec.positions.lowerBound + r * sec.positionRowBytes + b * sub, bits: s.indexBits, into: qb)
                    }
                }
                for j in 0..<32 where b * 32 + j < perRow {
                    let k = b * 32 + j
                    body(k / s.n * s.m + Int(codes[j]), r * perRow + k)
                }
            }
        case .bitmask:
            var i = SparseMatrix.rowPointer(p, sec, r)
            for w in 0..<(sec.positionRowBytes / 8) {
                var word = SparseHeader.read(p, sec.positions.lowerBound + r * sec.positionRowBytes + 8 * w, bytes: 8)
                while word != 0 {
                    body(64 * w + word.trailingZeroBitCount, i)
                    i += 1
                    word &= word - 1
                }
            }
        case .csr:
            let width = s.columnIndexBytes(cols: cols)
            for i in SparseMatrix.rowPointer(p, sec, r)..<SparseMatrix.rowPointer(p, sec, r + 1) {
                body(Int(SparseHeader.read(p, sec.positions.lowerBound + i * width, bytes: width)), i)
            }
        }
    }

    /// The scale of stream value i in row r (1 for float formats).
    func scale(row r: Int, stream i: Int, in p: UnsafeRawBufferPointer) -> Float {
        guard scheme.values.traits.quantized else { return 1 }
        let k = scheme.groupSize == 0 ? r : i / scheme.groupSize
        return Half.toFloat(UInt16(SparseHeader.read(p, sections.scales.lowerBound + 2 * k, bytes: 2)))
    }

    /// Calls body(column, value) for every stored value of row r.
    func forEachValue(row r: Int, in p: UnsafeRawBufferPointer, _ body: (Int, Float) -> Void) {
        guard let values = p.baseAddress.map({ $0 + sections.values.lowerBound }) else { return }
        let format = scheme.values
        forEachStored(row: r, in: p) { c, i in
            body(c, SparseValueCoding.value(values, i, format: format, scale: scale(row: r, stream: i, in: p)))
        }
    }

    /// The (rows, cols) row-major floats: stored values (int formats: scale · code) at their positions, +0 elsewhere.
    public func decodeDense() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        bytes.withUnsafeBytes { p in
            for r in 0..<rows { forEachValue(row: r, in: p) { c, v in out[r * cols + c] = v } }
        }
        return out
    }

    /// Rows `range` decoded into dst ((range.count), cols) f32, +0 where nothing is stored.
    public func decodeRows(_ range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "decodeRows: rows \(range) outside 0..<\(rows)")
        dst.initialize(repeating: 0, count: range.count * cols)
        bytes.withUnsafeBytes { p in
            for r in range { forEachValue(row: r, in: p) { c, v in dst[(r - range.lowerBound) * cols + c] = v } }
        }
    }

    /// Every row's stored (column, code) pairs for int formats (int4 codes −8…7), in stream order: the exact codes
    /// the encoder chose, for round-trip checks and for writers that re-pack them.
    public func storedCodes() -> [(column: Int, code: Int32)] {
        var out: [(column: Int, code: Int32)] = []
        out.reserveCapacity(storedCount)
        bytes.withUnsafeBytes { p in
            guard let values = p.baseAddress.map({ $0 + sections.values.lowerBound }) else { return }
            for r in 0..<rows {
                forEachStored(row: r, in: p) { c, i in out.append((c, SparseValueCoding.storedCode(values, i, format: scheme.values))) }
            }
        }
        return out
    }

    /// The f16 scales as stored (one per row or per group of stored values); empty for float formats.
    public func storedScales() -> [Float] {
        bytes.withUnsafeBytes { p in
            (0..<(sections.scales.count / 2)).map { Half.toFloat(UInt16(SparseHeader.read(p, sections.scales.lowerBound + 2 * $0, bytes: 2))) }
        }
    }

    /// y (tokens, rows) = x (tokens, cols) · Wᵀ in plain Swift: f32 sums over the stored values in column order.
    /// The reference the native kernels are tested against.
    public func referenceProduct(_ x: [Float], tokens: Int) -> [Float] {
        precondition(x.count == tokens * cols, "referenceProduct: \(x.count) inputs, expected \(tokens)×\(cols)")
        var y = [Float](repeating: 0, count: tokens * rows)
        bytes.withUnsafeBytes { p in
            for r in 0..<rows {
                var stored: [(Int, Float)] = []
                forEachValue(row: r, in: p) { c, v in stored.append((c, v)) }
                for t in 0..<tokens {
                    var sum: Float = 0
                    for (c, v) in stored { sum += v * x[t * cols + c] }
                    y[t * rows + r] = sum
                }
            }
        }
        return y
    }
}
