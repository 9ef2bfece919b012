import Foundation
import Testing
import PithGraph
import PithModels
import PithTensor
@testable import PithRuntime

/// Double-quantized int weights run through their expansion into the plain int layout (4-bit groups of 32 as ggml
/// Q4_1): the expansion holds exactly `dequantize()`'s values, so the logits match the f32 twin within the same
/// budgets as the plain layouts (the 8-bit activation rounding of decode).
struct DoubleQuantizedExecutionTests {
    static let schemes: [QuantScheme] = [
        QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true),
        QuantScheme(bits: 3, groupSize: 32, symmetric: false, doubleQuantization: true),
        QuantScheme(bits: 6, groupSize: 32, symmetric: true, doubleQuantization: true),
    ]

    @Test(arguments: schemes)
    func expandedWeightsMatchTheF32Twin(scheme: QuantScheme) throws {
        let tiny = try TinyLlama(seed: 13)
        let base = Model(structure: tiny.structure, weights: tiny.weights, tokenizer: nil, source: URL(fileURLWithPath: "/tiny"), contextLength: 64)
        let native = try Executor(model: QuantizedReencoding.model(base, scheme: scheme), maxRows: 32)
        let twin = try Executor(model: QuantizedReencoding.model(base, scheme: scheme, twin: true), maxRows: 32)
        let linears = native.plan.steps.compactMap { step -> BoundWeight? in
            if case .linear(_, let w, _, _) = step { return w } else { return nil }
        }
        // Every linear but the tied output is bound to a plain kernel: Q4_1 for 4 bits, its own scheme otherwise.
        var plain = scheme
        plain.doubleQuantization = false
        let expected = linears.filter { w in plain.ggmlEquivalent.map { w.type == $0 } ?? (w.quantized?.scheme == plain) }
        #expect(expected.count == linears.count - 1, "\(scheme)")

        let prompt: [Int32] = (0..<20).map { Int32(($0 * 7 + 3) % tiny.config.vocabSize) }
        let a = try prefillAndDecode(native, prompt: prompt, continuation: [4, 17, 29, 42])
        let b = try prefillAndDecode(twin, prompt: prompt, continuation: [4, 17, 29, 42])
        #expect(relativeDistance(a.prefill, b.prefill) <= tinyPrefillBudget, "\(scheme) prefill")
        for (x, y) in zip(a.decode, b.decode) { #expect(relativeDistance(x, y) <= tinyDecodeBudget, "\(scheme) decode") }
    }
}
