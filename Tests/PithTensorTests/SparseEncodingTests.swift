import Foundation
import Testing
@testable import PithTensor

// Sparse encodings: every layout × value format round-trips (f32 bit-exact, int codes exact), edge shapes, the chooser.

/// A (rows, cols) matrix with zeros: N:M patterns keep at most n of every m (some groups fewer), otherwise each
/// position is nonzero with probability `density`. Zeros are +0.
func sparseRandomMatrix(rows: Int, cols: Int, pattern: (n: Int, m: Int)? = nil, density: Double = 0.3, seed: UInt64) -> [Float] {
    var rng = SeededRandom(seed: seed)
    var w = rng.normals(rows * cols, sigma: 0.05)
    if let (n, m) = pattern {
        for g in stride(from: 0, to: w.count, by: m) {
            let keep = Set((0..<m).shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng) == 0 ? n - 1 : n))
            for j in 0..<m where !keep.contains(j) { w[g + j] = 0 }
        }
    } else {
        for i in w.indices where Double.random(in: 0..<1, using: &rng) >= density { w[i] = 0 }
    }
    return w
}

/// Every scheme the tests sweep: each layout with each value format and its scale groupings.
let sparseTestSchemes: [SparseScheme] = {
    var out: [SparseScheme] = []
    let valueOptions: [(SparseValueFormat, Int)] = [(.f32, 0), (.f16, 0), (.int8, 0), (.int8, 32), (.int4, 32), (.int4, 64)]
    for (v, g) in valueOptions {
        out += [.dense(values: v, groupSize: g), .nm(2, 4, values: v, groupSize: g), .nm(4, 8, values: v, groupSize: g),
                .nm(1, 4, values: v, groupSize: g), .bitmask(values: v, groupSize: g), .csr(values: v, groupSize: g),
                .csr(values: v, groupSize: g, indexBytes: 4)]
    }
    return out
}()

/// Independent quantizer for the code round trip: the same rule as docs/SPARSITY.md, written plainly.
func expectedCodes(_ values: [Float], groups: [Range<Int>], format: SparseValueFormat) -> [Int32] {
    var codes = [Int32](repeating: 0, count: values.count)
    for span in groups {
        var extreme: Float = 0
        for v in values[span] where abs(v) > abs(extreme) { extreme = v }
        let scale = Float(Float16(format == .int4 ? extreme / -8 : abs(extreme) / 127))
        for i in span {
            let r = scale == 0 ? 0 : (values[i] * (1 / scale)).rounded(.toNearestOrEven)
            codes[i] = format == .int4 ? Int32(min(7, max(-8, r))) : Int32(min(127, max(-127, r)))
        }
    }
    return codes
}

@Suite struct SparseEncodingTests {
    static let shapes: [(Int, Int)] = [(7, 64), (5, 96), (3, 576), (1, 8), (4, 24)]

    func pattern(_ s: SparseScheme) -> (n: Int, m: Int)? { s.layout == .nm ? (s.n, s.m) : nil }

    @Test(arguments: sparseTestSchemes)
    func roundTrip(scheme: SparseScheme) throws {
        for (k, (rows, cols)) in Self.shapes.enumerated() where scheme.problem(cols: cols) == nil {
            let w = sparseRandomMatrix(rows: rows, cols: cols, pattern: pattern(scheme), seed: UInt64(k + 1))
            let m = try SparseMatrix.encode(w, rows: rows, cols: cols, scheme: scheme)
            // The bytes validate and parse back to the same matrix.
            let parsed = try SparseMatrix(validating: m.bytes)
            #expect(parsed == m && parsed.scheme == m.scheme && parsed.rows == rows && parsed.cols == cols)
            #expect(m.scheme.layout == scheme.layout && m.scheme.values == scheme.values && m.scheme.groupSize == scheme.groupSize)
            let decoded = parsed.decodeDense()
            switch scheme.values {
            case .f32:
                #expect(decoded.map(\.bitPattern) == w.map(\.bitPattern), "\(scheme) \(rows)×\(cols)")
            case .f16:
                #expect(decoded == w.map { Float(Float16($0)) }, "\(scheme) \(rows)×\(cols)")
            case .int8, .int4:
                // Codes: the stored stream equals an independent quantization of the kept values.
                let stored = parsed.storedCodes()
                var kept: [Float] = [], rowStarts = [0]
                var position = 0
                for r in 0..<rows {
                    while position < stored.count, kept.count - rowStarts[r] < rowCount(parsed, r) {
                        kept.append(w[r * cols + stored[position].column]); position += 1
                    }
                    rowStarts.append(kept.count)
                }
                let groups = scheme.groupSize == 0 ? (0..<rows).map { rowStarts[$0]..<rowStarts[$0 + 1] }
                    : stride(from: 0, to: kept.count, by: scheme.groupSize).map { $0..<min($0 + scheme.groupSize, kept.count) }
                #expect(stored.map(\.code) == expectedCodes(kept, groups: groups, format: scheme.values), "\(scheme) \(rows)×\(cols)")
                // Values: scale · code where stored, +0 elsewhere; every nonzero of W is stored.
                for i in w.indices where w[i] != 0 { #expect(abs(decoded[i] - w[i]) <= 0.05 * 0.3, "\(scheme) at \(i)") }
                for i in w.indices where w[i] == 0 { #expect(decoded[i] == 0) }
            }
        }
    }

    func rowCount(_ m: SparseMatrix, _ r: Int) -> Int {
        var count = 0
        m.bytes.withUnsafeBytes { p in m.forEachStored(row: r, in: p) { _, _ in count += 1 } }
        return count
    }

    @Test func colsNotMultipleOfMIsRefused() {
        #expect(throws: SparseFormatError.unsupported("rows of 10 values do not split into N:M groups of 4")) {
            try SparseMatrix.encode([Float](repeating: 0, count: 20), rows: 2, cols: 10, scheme: .nm(2, 4, values: .f32))
        }
        #expect(throws: SparseFormatError.self) {
            try SparseMatrix.encode([Float](repeating: 0, count: 12), rows: 1, cols: 12, scheme: .nm(4, 8, values: .int4))
        }
    }

    @Test func tooManyNonzerosInAGroupIsRefused() {
        #expect(throws: SparseFormatError.pattern("row 1, columns 4..<8: 3 nonzeros, 2:4 keeps 2")) {
            try SparseMatrix.encode([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0], rows: 2, cols: 8, scheme: .nm(2, 4, values: .f32))
        }
    }

    @Test func nonFiniteValuesAreRefusedByIntegerFormats() throws {
        #expect(throws: SparseFormatError.self) {
            try SparseMatrix.encode([1, .infinity, 0, 0], rows: 1, cols: 4, scheme: .bitmask(values: .int8))
        }
        // f32 keeps them as they are.
        let m = try SparseMatrix.encode([1, .infinity, 0, 0], rows: 1, cols: 4, scheme: .bitmask(values: .f32))
        #expect(m.decodeDense() == [1, .infinity, 0, 0])
    }

    @Test(arguments: sparseTestSchemes)
    func allZeroRowsAndEmptyMatrices(scheme: SparseScheme) throws {
        let cols = 64
        var w = sparseRandomMatrix(rows: 4, cols: cols, pattern: pattern(scheme), seed: 9)
        for c in 0..<cols { w[cols + c] = 0; w[3 * cols + c] = 0 }
        let m = try SparseMatrix.encode(w, rows: 4, cols: cols, scheme: scheme)
        let decoded = try SparseMatrix(validating: m.bytes).decodeDense()
        #expect(decoded[cols..<(2 * cols)].allSatisfy { $0 == 0 } && decoded[(3 * cols)...].allSatisfy { $0 == 0 })
        let x = (0..<cols).map { Float($0) / 64 }
        let y = m.referenceProduct(x, tokens: 1)
        #expect(y[1] == 0 && y[3] == 0)
        let empty = try SparseMatrix.encode([], rows: 0, cols: cols, scheme: scheme)
        let parsed = try SparseMatrix(validating: empty.bytes)
        #expect(parsed.rows == 0 && parsed.decodeDense().isEmpty && parsed.referenceProduct([], tokens: 0).isEmpty)
    }

    @Test func schemeJSONRoundTripsAndRejectsNonsense() throws {
        for scheme in sparseTestSchemes {
            let data = try JSONEncoder().encode(scheme)
            #expect(try JSONDecoder().decode(SparseScheme.self, from: data) == scheme)
        }
        let json = Data(#"{"layout":"n:m","values":"int4","n":2,"m":4,"group_size":32}"#.utf8)
        #expect(try JSONDecoder().decode(SparseScheme.self, from: json) == .nm(2, 4, values: .int4))
        for bad in [#"{"layout":"n:m","values":"int4","n":4,"m":4}"#, #"{"layout":"csr","values":"int4","group_size":0}"#,
                    #"{"layout":"bitmask","values":"f32","group_size":32}"#, #"{"layout":"csr","values":"int8","index_bytes":3}"#] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(SparseScheme.self, from: Data(bad.utf8)) }
        }
    }

    @Test func chooserPicksTheSmallestLayout() {
        let (rows, cols) = (64, 576)
        let dense = sparseRandomMatrix(rows: rows, cols: cols, density: 1.0, seed: 1)
        #expect(SparseLayoutChooser.smallest(for: dense, rows: rows, cols: cols, values: .int8).layout == .dense)
        // Exactly 2 of every 4 kept (with fewer, the bitmask stores fewer values and wins).
        var half = sparseRandomMatrix(rows: rows, cols: cols, density: 1.0, seed: 2)
        for g in stride(from: 0, to: half.count, by: 4) { half[g + (g / 4) % 3] = 0; half[g + 3] = 0 }
        #expect(SparseLayoutChooser.smallest(for: half, rows: rows, cols: cols, values: .int4) == .nm(2, 4, values: .int4))
        let seventy = sparseRandomMatrix(rows: rows, cols: cols, density: 0.3, seed: 3)
        #expect(SparseLayoutChooser.smallest(for: seventy, rows: rows, cols: cols, values: .int8).layout == .bitmask)
        let sparse = sparseRandomMatrix(rows: rows, cols: cols, density: 0.02, seed: 4)
        #expect(SparseLayoutChooser.smallest(for: sparse, rows: rows, cols: cols, values: .int8).layout == .csr)
        // The chooser's sizes are the encoder's.
        for scheme in sparseTestSchemes where scheme.problem(cols: cols) == nil && scheme.layout != .nm {
            let size = SparseLayoutChooser.byteCount(of: seventy, rows: rows, cols: cols, scheme: scheme)
            #expect(size == (try? SparseMatrix.encode(seventy, rows: rows, cols: cols, scheme: scheme))?.byteCount)
        }
    }
}
