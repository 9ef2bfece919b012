// Micro-benchmark of Pith's tensor kernels on SmolLM2-135M shapes. Run in release:
//   swift run -c release --scratch-path .build-kernels pith-kernel-bench [--quick] [--quant] [--sparse]
// --quant: only the Pith-native quantized layouts (QuantScheme), after the bandwidth probe.
// --sparse: only the sparse layouts (SparseScheme) against the dense kernels, after the bandwidth probe.
// PITH_THREADS=1 measures one core. Figures are medians; "cold" weights cycle through copies larger than L3,
// as in a decode step, where every weight comes from memory.
import Foundation
import PithTensor

let quick = CommandLine.arguments.contains("--quick")
let quantOnly = CommandLine.arguments.contains("--quant")
let sparseOnly = CommandLine.arguments.contains("--sparse")
let clock = ContinuousClock()

func seconds(_ d: Duration) -> Double { d.seconds }

/// Median seconds of `body` over `repeats` runs after a warm-up.
func median(repeats: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = clock.now
        body()
        times.append(seconds(clock.now - start))
    }
    times.sort()
    return times[times.count / 2]
}

/// Random blocks of `type` with finite, modest f16 scales (d = 2⁻⁸, m = -2⁻⁵).
func randomWeights(type: GGMLType, rows: Int, cols: Int) -> UnsafeMutableRawBufferPointer {
    let bytes = type.rowBytes(elements: cols).map { $0 * rows } ?? 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
    var rng = SystemRandomNumberGenerator()
    let words = buffer.bindMemory(to: UInt64.self)
    for i in words.indices { words[i] = rng.next() }
    let bytesPerBlock = type.bytesPerBlock
    for block in stride(from: 0, to: bytes, by: bytesPerBlock) {
        buffer.storeBytes(of: UInt16(0x1C00), toByteOffset: block, as: UInt16.self)
        if type == .q4_1 { buffer.storeBytes(of: UInt16(0xA800), toByteOffset: block + 2, as: UInt16.self) }
    }
    return buffer
}

let threads = ThreadPool.shared.threadCount
print("threads: \(threads)")

// MARK: - Memory bandwidth
let bandwidth = MemoryBandwidth.measure(bytes: quick ? 256 << 20 : 512 << 20)
print(String(format: "memory read bandwidth (sum of f32, %d threads): %.1f GB/s", threads, bandwidth / 1e9))

if quantOnly {
    benchmarkQuantizedLayouts(bandwidth: bandwidth)
    exit(0)
}
if sparseOnly {
    benchmarkSparseLayouts(bandwidth: bandwidth)
    exit(0)
}

// MARK: - Dispatch cost
let dispatch = median(repeats: 5) { for _ in 0..<10_000 { ThreadPool.shared.run { _, _ in } } } / 10_000
print(String(format: "empty ThreadPool.run: %.2f µs", dispatch * 1e6))

// MARK: - Matvec on SmolLM2 shapes
struct Case { let name: String; let type: GGMLType; let rows: Int; let cols: Int }
let cases = [
    Case(name: "q4_1 576→1536 (ffn gate/up)", type: .q4_1, rows: 1536, cols: 576),
    Case(name: "q4_1 1536→576 (ffn down)", type: .q4_1, rows: 576, cols: 1536),
    Case(name: "q4_1 576→576 (attn q/o)", type: .q4_1, rows: 576, cols: 576),
    Case(name: "q4_0 576→1536", type: .q4_0, rows: 1536, cols: 576),
    Case(name: "q8_0 576→49152 (output)", type: .q8_0, rows: 49152, cols: 576),
    Case(name: "f16 576→1536", type: .f16, rows: 1536, cols: 576),
    Case(name: "f32 576→1536", type: .f32, rows: 1536, cols: 576),
]
print("\nmatvec (tokens = 1), GB/s of weight bytes; cold = weights streamed from memory, hot = in cache")
for c in cases {
    let matrixBytes = c.type.rowBytes(elements: c.cols).map { $0 * c.rows } ?? 0
    let copies = max(1, (128 << 20) / matrixBytes)  // > 4× L3
    let weights = (0..<copies).map { _ in randomWeights(type: c.type, rows: c.rows, cols: c.cols) }
    defer { weights.forEach { $0.deallocate() } }
    let x = (0..<c.cols).map { _ in Float.random(in: -1...1) }
    var y = [Float](repeating: 0, count: c.rows)
    func call(_ w: UnsafeMutableRawBufferPointer) {
        guard let base = w.baseAddress else { return }
        Kernels.linear(weight: base, type: c.type, rows: c.rows, cols: c.cols, input: x, tokens: 1, output: &y)
    }
    let hot = median(repeats: quick ? 200 : 2000) { call(weights[0]) }
    let cold = median(repeats: quick ? 3 : 9) { for w in weights { call(w) } } / Double(copies)
    print(String(format: "  %-30@ %7.1f µs cold  %6.1f GB/s (%3.0f%% of bandwidth)   hot %7.1f µs %6.1f GB/s",
                 c.name as NSString, cold * 1e6, Double(matrixBytes) / cold / 1e9, 100 * Double(matrixBytes) / cold / bandwidth,
                 hot * 1e6, Double(matrixBytes) / hot / 1e9))
}

// MARK: - Multi-token and prefill paths
print("\nlinear q4_1 576→1536 by tokens (hot weights), µs per call and µs per token")
do {
    let rows = 1536, cols = 576
    let w = randomWeights(type: .q4_1, rows: rows, cols: cols)
    defer { w.deallocate() }
    for tokens in [1, 2, 4, 8, 16, 17, 32, 128] {
        let x = (0..<(tokens * cols)).map { _ in Float.random(in: -1...1) }
        var y = [Float](repeating: 0, count: tokens * rows)
        guard let base = w.baseAddress else { break }
        let t = median(repeats: quick ? 20 : 200) {
            Kernels.linear(weight: base, type: .q4_1, rows: rows, cols: cols, input: x, tokens: tokens, output: &y)
        }
        print(String(format: "  tokens %4d: %8.1f µs  %7.2f µs/token  %6.1f GFLOP/s", tokens, t * 1e6, t * 1e6 / Double(tokens),
                     2 * Double(rows * cols * tokens) / t / 1e9))
    }
}

// MARK: - SGEMM
print("\nsgemm (OpenBLAS, rows of C split over the pool)")
for (m, n, k) in [(128, 1536, 576), (512, 576, 1536), (512, 1536, 576)] {
    let a = (0..<(m * k)).map { _ in Float.random(in: -1...1) }, b = (0..<(n * k)).map { _ in Float.random(in: -1...1) }
    var c = [Float](repeating: 0, count: m * n)
    let t = median(repeats: quick ? 5 : 30) {
        Kernels.sgemm(transposeB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: &c, ldc: n)
    }
    print(String(format: "  %4d×%4d×%4d: %8.1f µs  %6.1f GFLOP/s", m, n, k, t * 1e6, 2 * Double(m * n * k) / t / 1e9))
}

// MARK: - A decode step's linear layers
// SmolLM2-135M: 30 layers of q (576×576), k, v (192×576), o (576×576), gate, up (1536×576), down (576×1536), all
// Q4_1, then the tied Q8_0 output (49152×576). Only the linear layers: the rest of a step is ~1% of its bytes.
print("\nSmolLM2-135M decode step, linear layers only (Q4_1 + Q8_0 output)")
do {
    let shapes = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
    var layers: [(UnsafeMutableRawBufferPointer, Int, Int, GGMLType)] = []
    for _ in 0..<30 { for (r, c) in shapes { layers.append((randomWeights(type: .q4_1, rows: r, cols: c), r, c, .q4_1)) } }
    layers.append((randomWeights(type: .q8_0, rows: 49152, cols: 576), 49152, 576, .q8_0))
    defer { layers.forEach { $0.0.deallocate() } }
    let totalBytes = layers.reduce(0) { $0 + $1.0.count }
    let x = (0..<1536).map { _ in Float.random(in: -1...1) }
    var y = [Float](repeating: 0, count: 49152)
    let t = median(repeats: quick ? 5 : 30) {
        for (w, r, c, type) in layers {
            guard let base = w.baseAddress else { continue }
            Kernels.linear(weight: base, type: type, rows: r, cols: c, input: x, tokens: 1, output: &y)
        }
    }
    print(String(format: "  %d calls, %.1f MB: %.2f ms → %.0f tok/s (memory bound at measured bandwidth %.0f tok/s), %.1f GB/s",
                 layers.count, Double(totalBytes) / 1e6, t * 1e3, 1 / t, bandwidth / Double(totalBytes),
                 Double(totalBytes) / t / 1e9))
}

benchmarkQuantizedLayouts(bandwidth: bandwidth)
benchmarkSparseLayouts(bandwidth: bandwidth)
