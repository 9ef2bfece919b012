import Foundation
import Testing
import PithTensor
import PithFormats
@testable import PithCompress

/// SmolLM2's body is Q4_1 (int4 g32 asymmetric, f16 scale and minimum per group). RTN int4 g32 asym with
/// double-quantized scales must land close to those values at ~4.5 bits per weight, and its bytes round-trip.
@Suite struct SmolLM2DoubleQuantizationTests {
    static let tensors = ["blk.0.attn_q.weight", "blk.5.ffn_down.weight", "blk.29.ffn_gate.weight"]
    /// ‖DQ − Q4_1‖ / ‖Q4_1‖ over a tensor (the 6-bit scale and min codes; plain RTN gives 0 here).
    /// Measured 0.0156 (blk.29.ffn_gate), 0.0168 (blk.5.ffn_down), 0.0188 (blk.0.attn_q).
    static let relativeErrorBudget: Float = 0.025
    /// Largest |DQ − Q4_1| of a value, in units of its Q4_1 group's step d: every value lands within about half a
    /// step of where Q4_1 had it. Measured 0.38–0.53.
    static let maxErrorInSteps: Float = 0.75

    @Test(.enabled(if: RealModel.present, "SmolLM2-135M-Instruct.Q4_1.gguf not fetched"), arguments: tensors)
    func rtnReproducesQ4_1WithinBudget(name: String) throws {
        let file = try GGUFFile(url: try #require(RealModel.url))
        let info = try #require(file.tensors.first { $0.name == name })
        try #require(info.type == .q4_1)
        let rows = info.rowCount, cols = info.rowLength
        let source = try file.dequantize(info)
        let q4_1 = try RTN.quantize(source, rows: rows, cols: cols, scheme: QuantScheme(bits: 4, groupSize: 32, symmetric: false))
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)
        let m = try RTN.quantize(source, rows: rows, cols: cols, scheme: scheme)
        let packed = m.pack()
        #expect(Double(packed.count * 8) / Double(rows * cols) == (cols % 256 == 0 ? 4.5 : 109.0 * 8 / 192))
        let back = try packed.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
        #expect(back == m)
        let deq = m.dequantize()
        let expanded = try packed.withUnsafeBytes { try QuantizedMatrix.expandSuperBlocks($0, scheme: scheme, rows: rows, cols: cols) }
        let plain = try expanded.bytes.withUnsafeBytes {
            try QuantizedMatrix(unpacking: $0, scheme: expanded.scheme, rows: rows, cols: cols)
        }
        #expect(plain.dequantize() == deq, "the runtime's expansion must hold the same values")

        var error: Float = 0, norm: Float = 0, worst: Float = 0
        for i in 0..<source.count {
            let e = deq[i] - source[i]
            error += e * e
            norm += source[i] * source[i]
            let step = q4_1.scales[i / 32]
            if step > 0 { worst = max(worst, abs(e) / step) }
        }
        let relative = (error / norm).squareRoot()
        print("\(name): DQ vs Q4_1 relative error \(relative), worst \(worst) steps")
        #expect(relative <= Self.relativeErrorBudget)
        #expect(worst <= Self.maxErrorInSteps)
    }
}
