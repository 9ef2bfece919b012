import Testing
import PithTensor
@testable import PithCompress

@Suite struct FloatQuantizerTests {
    static func weights(_ count: Int, seed: UInt64) -> [Float] { var r = TestRandom(seed: seed); return r.gaussians(count, scale: 0.1) }

    @Test(arguments: [QuantScheme.nf4(), .nf4(doubleQuantization: false), .fp4()])
    func tableCodesAreTheNearestLevel(scheme: QuantScheme) throws {
        // 96 columns: blocks of 64 straddle rows (the blocks run over the flattened tensor).
        let rows = 4, cols = 96
        let w = Self.weights(rows * cols, seed: 50)
        let m = try FloatQuantizer.quantize(w, rows: rows, cols: cols, scheme: scheme)
        let table = scheme.format == .nf4 ? FloatCodebook.nf4 : FloatCodebook.fp4
        for b in 0..<(rows * cols / 64) {
            let absmax = w[(b * 64)..<((b + 1) * 64)].map(abs).max() ?? 0
            #expect(m.scales[b] == absmax)
            for i in (b * 64)..<((b + 1) * 64) {
                let y = w[i] / absmax
                let distance = abs(table[Int(m.codes[i])] - y)
                #expect(table.allSatisfy { abs($0 - y) >= distance })
            }
        }
        let back = try m.pack().withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
        #expect(back.codes == m.codes)
        if !scheme.doubleQuantization { #expect(back == m) }
    }

    @Test(arguments: [QuantScheme.fp8, QuantScheme(format: .fp8, bits: 8, groupSize: 64, symmetric: true)])
    func fp8CodesAreE4M3BytesOfTheScaledValue(scheme: QuantScheme) throws {
        let rows = 3, cols = 128
        var w = Self.weights(rows * cols, seed: 51)
        w[7] = 0
        let m = try FloatQuantizer.quantize(w, rows: rows, cols: cols, scheme: scheme)
        let g = scheme.group(cols: cols)
        for s in 0..<(rows * cols / g) {
            let absmax = w[(s * g)..<((s + 1) * g)].map(abs).max() ?? 0
            #expect(m.scales[s] == absmax / 448)
            for i in (s * g)..<((s + 1) * g) { #expect(m.codes[i] == FloatCodebook.e4m3Byte(w[i] / m.scales[s])) }
        }
        let deq = m.dequantize()
        for i in 0..<w.count { #expect(abs(deq[i] - w[i]) <= abs(w[i]) / 16 + 1e-6) }  // 3 mantissa bits
    }

    @Test func w8a8ErrorIsAtMostHalfAStep() throws {
        let rows = 8, cols = 160
        var w = Self.weights(rows * cols, seed: 52)
        w[3] = -0.9  // a row whose largest value is negative
        let m = try FloatQuantizer.quantize(w, rows: rows, cols: cols, scheme: .w8a8)
        let deq = m.dequantize()
        for r in 0..<rows {
            let absmax = w[(r * cols)..<((r + 1) * cols)].map(abs).max() ?? 0
            let d = m.scales[r]
            #expect(d == QuantizedMatrix.stored(scale: absmax / 127, in: .w8a8))
            for i in (r * cols)..<((r + 1) * cols) {
                #expect((1...255).contains(m.codes[i]))
                #expect(abs(deq[i] - w[i]) <= d / 2 * (1 + 1e-5))
            }
        }
        #expect(m.codes[3] == 1)
    }

    @Test func badInputThrows() {
        #expect(throws: QuantizationError.self) { try FloatQuantizer.quantize([Float](repeating: 1, count: 96), rows: 1, cols: 96, scheme: .nf4()) }
        #expect(throws: QuantizationError.self) { try FloatQuantizer.quantize([1, .nan] + [Float](repeating: 1, count: 62), rows: 1, cols: 64, scheme: .fp8) }
        #expect(throws: QuantizationError.self) { try FloatQuantizer.quantize([Float](repeating: 1, count: 64), rows: 2, cols: 64, scheme: .w8a8) }
    }
}
