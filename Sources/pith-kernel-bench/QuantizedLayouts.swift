// The Pith-native quantized layouts (QuantScheme) on SmolLM2-135M shapes: matvec GB/s of weight bytes, the
// multi-token and prefill paths, and a decode step's linear layers in each layout.
import Foundation
import PithTensor

/// A random weight in `scheme`: uniform codes, scales that keep values ~0.05 (the bytes are what matters here).
func randomQuantizedWeight(_ scheme: QuantScheme, rows: Int, cols: Int) -> (QuantizedWeightKernel, UnsafeMutableRawBufferPointer)? {
    guard let kernel = QuantizedWeightKernel(scheme: scheme, rows: rows, cols: cols) else { return nil }
    let blockwise = scheme.format == .nf4 || scheme.format == .fp4
    let scaleCount = blockwise ? rows * cols / scheme.groupSize : rows * (cols / scheme.group(cols: cols))
    let levels = scheme.format == .fp8 ? 127 : 1 << scheme.bits
    var rng = SystemRandomNumberGenerator()
    let codes = (0..<(rows * cols)).map { _ in UInt8(Int.random(in: 0..<levels, using: &rng)) }
    let scales = [Float](repeating: 0.05 / Float(max(levels / 2, 1)), count: scaleCount)
    let mins = scheme.format == .int && !scheme.symmetric ? [Float](repeating: -0.05, count: scaleCount) : []
    guard let matrix = try? QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins) else { return nil }
    let bytes = matrix.pack()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    return (kernel, buffer)
}

let quantizedSchemes: [QuantScheme] = [
    QuantScheme(bits: 4, groupSize: 64, symmetric: false), QuantScheme(bits: 4, groupSize: 128, symmetric: false),
    QuantScheme(bits: 4, groupSize: 0, symmetric: true), QuantScheme(bits: 3, groupSize: 64, symmetric: false),
    QuantScheme(bits: 2, groupSize: 64, symmetric: false), QuantScheme(bits: 5, groupSize: 64, symmetric: false),
    QuantScheme(bits: 8, groupSize: 64, symmetric: true), .nf4(), .fp4(doubleQuantization: false), .fp8, .w8a8,
]

@MainActor func benchmarkQuantizedLayouts(bandwidth: Double) {
    print("\nPith-native quantized layouts, matvec (tokens = 1), GB/s of weight bytes (cold / hot as above)")
    for (rows, cols, what) in [(1536, 576, "576→1536"), (576, 1536, "1536→576")] {
        // The ggml Q4_1 kernels on the same shape, for comparison.
        let q41 = randomWeights(type: .q4_1, rows: rows, cols: cols)
        defer { q41.deallocate() }
        if let base = q41.baseAddress {
            let x = (0..<cols).map { _ in Float.random(in: -1...1) }
            var y = [Float](repeating: 0, count: rows)
            let hot = median(repeats: quick ? 200 : 2000) {
                Kernels.linear(weight: base, type: .q4_1, rows: rows, cols: cols, input: x, tokens: 1, output: &y)
            }
            print(String(format: "  %-22@ %@ %5.2f bpw   (ggml reference)                          hot %7.1f µs %6.1f GB/s",
                         "Q4_1" as NSString, what as NSString, 5.0, hot * 1e6, Double(q41.count) / hot / 1e9))
        }
        for scheme in quantizedSchemes {
            guard let (kernel, first) = randomQuantizedWeight(scheme, rows: rows, cols: cols) else { continue }
            let copies = max(1, (128 << 20) / kernel.byteCount)
            var weights = [first]
            for _ in 1..<copies {
                let b = UnsafeMutableRawBufferPointer.allocate(byteCount: first.count, alignment: 64)
                b.copyMemory(from: UnsafeRawBufferPointer(first))
                weights.append(b)
            }
            defer { weights.forEach { $0.deallocate() } }
            let x = (0..<cols).map { _ in Float.random(in: -1...1) }
            var y = [Float](repeating: 0, count: rows)
            func call(_ w: UnsafeMutableRawBufferPointer) {
                guard let base = w.baseAddress else { return }
                kernel.linear(weight: base, input: x, tokens: 1, output: &y)
            }
            let hot = median(repeats: quick ? 200 : 2000) { call(weights[0]) }
            let cold = median(repeats: quick ? 3 : 9) { for w in weights { call(w) } } / Double(copies)
            let bytes = Double(kernel.byteCount)
            print(String(format: "  %-22@ %@ %5.2f bpw %7.1f µs cold %6.1f GB/s (%3.0f%% of bandwidth)   hot %7.1f µs %6.1f GB/s",
                         scheme.description as NSString, what as NSString, bytes * 8 / Double(rows * cols), cold * 1e6,
                         bytes / cold / 1e9, 100 * bytes / cold / bandwidth, hot * 1e6, bytes / hot / 1e9))
        }
    }

    print("\nquantized linear 576→1536 by tokens (hot weights), µs per call")
    for scheme in [QuantScheme(bits: 4, groupSize: 64, symmetric: false), QuantScheme(bits: 2, groupSize: 64, symmetric: false),
                   .nf4(), .fp8, .w8a8] {
        guard let (kernel, w) = randomQuantizedWeight(scheme, rows: 1536, cols: 576), let base = w.baseAddress else { continue }
        defer { w.deallocate() }
        var line = "  " + scheme.description.padding(toLength: 16, withPad: " ", startingAt: 0)
        for tokens in [1, 4, 8, 9, 16, 17, 128] {
            let x = (0..<(tokens * 576)).map { _ in Float.random(in: -1...1) }
            var y = [Float](repeating: 0, count: tokens * 1536)
            let t = median(repeats: quick ? 10 : 100) { kernel.linear(weight: base, input: x, tokens: tokens, output: &y) }
            line += String(format: "  t%d %7.1f", tokens, t * 1e6)
        }
        print(line)
    }

    // A decode step's linear layers (30 layers × q, k, v, o, gate, up, down) in each layout; the tied Q8_0 output
    // projection is left out: it is the same for all.
    print("\nSmolLM2-135M decode step, the 210 projections only, per layout")
    let shapes = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
    do {
        var layers: [(UnsafeMutableRawBufferPointer, Int, Int)] = []
        for _ in 0..<30 { for (r, c) in shapes { layers.append((randomWeights(type: .q4_1, rows: r, cols: c), r, c)) } }
        defer { layers.forEach { $0.0.deallocate() } }
        let total = layers.reduce(0) { $0 + $1.0.count }
        let x = (0..<1536).map { _ in Float.random(in: -1...1) }
        var y = [Float](repeating: 0, count: 1536)
        let t = median(repeats: quick ? 5 : 30) {
            for (w, r, c) in layers {
                if let base = w.baseAddress { Kernels.linear(weight: base, type: .q4_1, rows: r, cols: c, input: x, tokens: 1, output: &y) }
            }
        }
        print(String(format: "  %-16@ %5.1f MB: %.2f ms → %6.0f steps/s, %5.1f GB/s (%3.0f%% of bandwidth)",
                     "Q4_1 (ggml)" as NSString, Double(total) / 1e6, t * 1e3, 1 / t, Double(total) / t / 1e9,
                     100 * Double(total) / t / bandwidth))
    }
    for scheme in [QuantScheme(bits: 4, groupSize: 64, symmetric: false), QuantScheme(bits: 4, groupSize: 0, symmetric: true),
                   QuantScheme(bits: 3, groupSize: 64, symmetric: false), QuantScheme(bits: 2, groupSize: 64, symmetric: false),
                   .nf4(), .fp8, .w8a8] {
        var layers: [(QuantizedWeightKernel, UnsafeMutableRawBufferPointer)] = []
        for _ in 0..<30 { for (r, c) in shapes { if let l = randomQuantizedWeight(scheme, rows: r, cols: c) { layers.append(l) } } }
        defer { layers.forEach { $0.1.deallocate() } }
        let total = layers.reduce(0) { $0 + $1.0.byteCount }
        let x = (0..<1536).map { _ in Float.random(in: -1...1) }
        var y = [Float](repeating: 0, count: 1536)
        let t = median(repeats: quick ? 5 : 30) {
            for (k, w) in layers { if let base = w.baseAddress { k.linear(weight: base, input: x, tokens: 1, output: &y) } }
        }
        print(String(format: "  %-16@ %5.1f MB: %.2f ms → %6.0f steps/s, %5.1f GB/s (%3.0f%% of bandwidth)",
                     scheme.description as NSString, Double(total) / 1e6, t * 1e3, 1 / t, Double(total) / t / 1e9,
                     100 * Double(total) / t / bandwidth))
    }
}
