// Sparse weights (SparseScheme) against the project's dense kernels of the same value type, on SmolLM2-135M shapes,
// in one run: 2:4 int4 against dense int4 (QuantScheme groups of 64 columns — the same columns per scale as 2:4 with
// 32 kept values per scale — and of 32 values, plus ggml Q4_0), bitmask and CSR int8 against Q8_0 and int8-g32.
// Matvec (tokens = 1) and 4 tokens; cold weights cycle through copies larger than L3, as in a decode step.
import Foundation
import PithTensor

/// One contender: a name, its bytes per copy, and a call on copy i.
struct SparseContender {
    let name: String
    let bytes: Int
    let copies: Int
    let call: (Int, Int) -> Void  // (copy, tokens)
    let release: () -> Void
}

/// Copies of `bytes`, enough to exceed ~128 MB (4× L3), 64-byte aligned.
func alignedCopies(_ bytes: [UInt8]) -> [UnsafeMutableRawBufferPointer] {
    let copies = max(2, (128 << 20) / max(bytes.count, 1))
    return (0..<copies).map { _ in
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { b.copyMemory(from: $0) }
        return b
    }
}

func sparseContender(_ name: String, _ matrix: SparseMatrix, x: [Float], y: UnsafeMutablePointer<Float>) -> SparseContender {
    let kernel = matrix.kernel
    let copies = alignedCopies(matrix.bytes)
    return SparseContender(name: "\(name) [\(kernel.kind)]", bytes: matrix.byteCount, copies: copies.count, call: { i, tokens in
        if let base = copies[i].baseAddress { x.withUnsafeBufferPointer { if let xb = $0.baseAddress { kernel.linear(weight: base, input: xb, tokens: tokens, output: y) } } }
    }, release: { copies.forEach { $0.deallocate() } })
}

func quantContender(_ scheme: QuantScheme, rows: Int, cols: Int, x: [Float], y: UnsafeMutablePointer<Float>) -> SparseContender? {
    guard let (kernel, first) = randomQuantizedWeight(scheme, rows: rows, cols: cols) else { return nil }
    let copies = alignedCopies(Array(UnsafeRawBufferPointer(first)))
    first.deallocate()
    return SparseContender(name: scheme.description, bytes: kernel.byteCount, copies: copies.count, call: { i, tokens in
        if let base = copies[i].baseAddress { x.withUnsafeBufferPointer { if let xb = $0.baseAddress { kernel.linear(weight: base, input: xb, tokens: tokens, output: y) } } }
    }, release: { copies.forEach { $0.deallocate() } })
}

func ggmlContender(_ type: GGMLType, rows: Int, cols: Int, x: [Float], y: UnsafeMutablePointer<Float>) -> SparseContender {
    let first = randomWeights(type: type, rows: rows, cols: cols)
    let copies = alignedCopies(Array(UnsafeRawBufferPointer(first)))
    first.deallocate()
    return SparseContender(name: "ggml \(type.name)", bytes: copies[0].count, copies: copies.count, call: { i, tokens in
        if let base = copies[i].baseAddress {
            x.withUnsafeBufferPointer { if let xb = $0.baseAddress { Kernels.linear(weight: base, type: type, rows: rows, cols: cols, input: xb, tokens: tokens, output: y) } }
        }
    }, release: { copies.forEach { $0.deallocate() } })
}

/// A random (rows, cols) matrix: N:M pattern (first N of a random choice per group) or i.i.d. zeros at `sparsity`.
func randomSparseDense(rows: Int, cols: Int, nm: (Int, Int)? = nil, sparsity: Double = 0) -> [Float] {
    var w = (0..<(rows * cols)).map { _ in Float.random(in: -0.05...0.05) }
    if let (n, m) = nm {
        for g in stride(from: 0, to: w.count, by: m) {
            let keep = Set((0..<m).shuffled().prefix(n))
            for j in 0..<m where !keep.contains(j) { w[g + j] = 0 }
        }
    } else {
        for i in w.indices where Double.random(in: 0..<1) < sparsity { w[i] = 0 }
    }
    return w
}

@MainActor func benchmarkSparseLayouts(bandwidth: Double) {
    print("\nsparse weights vs dense kernels (same run), µs per call (fastest of the rounds): cold (weights from memory) / hot; ratio ×: baseline µs / this µs")
    let shapes = [(576, 576, "576→576 (attn q/o)"), (1536, 576, "576→1536 (gate/up)"), (576, 1536, "1536→576 (down)"),
                  (49152, 576, "576→49152 (output)")]
    let repeats = quick ? 7 : 15
    for (rows, cols, what) in shapes {
        print("  \(rows)×\(cols) \(what)")
        let x = (0..<(4 * cols)).map { _ in Float.random(in: -1...1) }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 4 * rows)
        defer { y.deallocate() }
        // Groups of contenders: the first of each group is the baseline its ratios are taken against.
        var groups: [[SparseContender]] = []
        var int4: [SparseContender] = []
        if let c = quantContender(QuantScheme(bits: 4, groupSize: 64, symmetric: true), rows: rows, cols: cols, x: x, y: y) { int4.append(c) }
        if let c = quantContender(QuantScheme(bits: 4, groupSize: 32, symmetric: true), rows: rows, cols: cols, x: x, y: y) { int4.append(c) }
        int4.append(ggmlContender(.q4_0, rows: rows, cols: cols, x: x, y: y))
        let nm = randomSparseDense(rows: rows, cols: cols, nm: (2, 4))
        if let m = try? SparseMatrix.encode(nm, rows: rows, cols: cols, scheme: .nm(2, 4, values: .int4)) { int4.append(sparseContender("2:4-int4-g32", m, x: x, y: y)) }
        if let m = try? SparseMatrix.encode(nm, rows: rows, cols: cols, scheme: .nm(2, 4, values: .int4, groupSize: 64)) { int4.append(sparseContender("2:4-int4-g64", m, x: x, y: y)) }
        groups.append(int4)
        var int8: [SparseContender] = [ggmlContender(.q8_0, rows: rows, cols: cols, x: x, y: y)]
        if let c = quantContender(QuantScheme(bits: 8, groupSize: 32, symmetric: true), rows: rows, cols: cols, x: x, y: y) { int8.append(c) }
        if let m = try? SparseMatrix.encode(nm, rows: rows, cols: cols, scheme: .nm(2, 4, values: .int8)) { int8.append(sparseContender("2:4-int8-row", m, x: x, y: y)) }
        for sparsity in quick ? [0.7, 0.9] : [0.5, 0.7, 0.8, 0.9, 0.95] {
            let w = randomSparseDense(rows: rows, cols: cols, sparsity: sparsity)
            let pct = Int(sparsity * 100)
            if let m = try? SparseMatrix.encode(w, rows: rows, cols: cols, scheme: .bitmask(values: .int8)) { int8.append(sparseContender("bitmask-int8 \(pct)%", m, x: x, y: y)) }
            if sparsity >= 0.7, let m = try? SparseMatrix.encode(w, rows: rows, cols: cols, scheme: .csr(values: .int8)) {
                int8.append(sparseContender("csr-int8-u16 \(pct)%", m, x: x, y: y))
            }
        }
        groups.append(int8)
        for group in groups {
            defer { group.forEach { $0.release() } }
            // Rounds interleave the contenders, so a noisy neighbour slows them alike. On a shared machine the
            // fastest round is the stable statistic (others' work only ever adds time), so minima are reported.
            var cold = [[Double]](repeating: [], count: group.count), hot = cold, four = cold
            for c in group { c.call(0, 1); c.call(0, 4) }
            for _ in 0..<repeats {
                for (k, c) in group.enumerated() {
                    var start = clock.now
                    for i in 0..<c.copies { c.call(i, 1) }
                    cold[k].append(seconds(clock.now - start) / Double(c.copies))
                    start = clock.now
                    for _ in 0..<20 { c.call(0, 1) }
                    hot[k].append(seconds(clock.now - start) / 20)
                    start = clock.now
                    for i in 0..<min(c.copies, 8) { c.call(i, 4) }
                    four[k].append(seconds(clock.now - start) / Double(min(c.copies, 8)))
                }
            }
            func med(_ a: [Double]) -> Double { a.min() ?? 0 }
            let base = (med(cold[0]), med(hot[0]), med(four[0]))
            for (k, c) in group.enumerated() {
                let (tc, th, t4) = (med(cold[k]), med(hot[k]), med(four[k]))
                print(String(format: "    %-34@ %5.2f bpw  cold %8.1f µs (×%4.2f, %5.1f GB/s)  hot %8.1f µs (×%4.2f)  4 tokens cold %8.1f µs (×%4.2f)",
                             c.name as NSString, Double(c.bytes * 8) / Double(rows * cols), tc * 1e6, base.0 / tc,
                             Double(c.bytes) / tc / 1e9, th * 1e6, base.1 / th, t4 * 1e6, base.2 / t4))
            }
        }
    }
    _ = bandwidth
}
