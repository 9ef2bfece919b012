/// Picks the smallest layout for a matrix and a value format, without encoding it: dense when sparsity does not pay.
public enum SparseLayoutChooser {
    /// The layouts tried by default, in order of preference when sizes tie: dense, 2:4, 4:8, bitmask, CSR.
    public static func candidates(values: SparseValueFormat, groupSize: Int? = nil) -> [SparseScheme] {
        [.dense(values: values, groupSize: groupSize), .nm(2, 4, values: values, groupSize: groupSize),
         .nm(4, 8, values: values, groupSize: groupSize), .bitmask(values: values, groupSize: groupSize),
         .csr(values: values, groupSize: groupSize)]
    }

    /// Bytes `scheme` would take for the dense (rows, cols) matrix, or nil when it cannot hold it (shape, or an
    /// N:M group with more than N nonzeros).
    public static func byteCount(of dense: [Float], rows: Int, cols: Int, scheme: SparseScheme) -> Int? {
        guard scheme.problem(cols: cols) == nil, rows >= 0, rows <= Int(UInt32.max), dense.count == rows * cols else { return nil }
        var nnz = 0
        switch scheme.layout {
        case .dense:
            nnz = rows * cols
        case .nm:
            for g in stride(from: 0, to: dense.count, by: scheme.m) {
                var count = 0
                for j in g..<(g + scheme.m) where dense[j] != 0 { count += 1 }
                if count > scheme.n { return nil }
            }
            nnz = rows * (cols / scheme.m * scheme.n)
        case .bitmask, .csr:
            for v in dense where v != 0 { nnz += 1 }
        }
        return try? SparseSections(SparseHeader(scheme: scheme, rows: rows, cols: cols, nnz: nnz)).total
    }

    /// The candidate with the fewest bytes for this matrix (the first on ties); dense when nothing else fits.
    public static func smallest(for dense: [Float], rows: Int, cols: Int, values: SparseValueFormat,
                                groupSize: Int? = nil, among schemes: [SparseScheme]? = nil) -> SparseScheme {
        let options = schemes ?? candidates(values: values, groupSize: groupSize)
        var best: (SparseScheme, Int)?
        for scheme in options {
            guard let bytes = byteCount(of: dense, rows: rows, cols: cols, scheme: scheme) else { continue }
            if best == nil || bytes < best?.1 ?? Int.max { best = (scheme, bytes) }
        }
        return best?.0 ?? .dense(values: values, groupSize: groupSize)
    }
}
