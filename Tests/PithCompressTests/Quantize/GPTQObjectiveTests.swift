import Foundation
import PithTensor
import Testing
@testable import PithCompress

/// GPTQ's two refinements of what it fits: a free bias (centred Hessian, corrected bias) and float targets (the float
/// model's outputs from the quantized model's inputs), each checked on the objective it claims to lower.
@Suite struct GPTQObjectiveTests {
    static let rows = 24, cols = 64, tokens = 1024

    /// The float model's inputs x̃ and the quantized model's x for the same tokens: x drifts from x̃ by a fixed linear
    /// distortion plus noise, as errors of earlier quantized layers do.
    static func pairedInputs(seed: UInt64) -> (reference: [Float], drifted: [Float]) {
        let reference = correlatedInputs(tokens: tokens, features: cols, salient: [3], seed: seed)
        var random = TestRandom(seed: seed + 1)
        let mix = random.gaussians(cols * cols, scale: 0.08 / Float(cols).squareRoot())
        var drifted = reference
        for t in 0..<tokens {
            for j in 0..<cols {
                var v: Float = 0
                for i in 0..<cols { v += reference[t * cols + i] * mix[i * cols + j] }
                drifted[t * cols + j] += v + 0.03 * random.gaussian()
            }
        }
        return (reference, drifted)
    }

    static func pairedStatistics(_ x: [Float], reference: [Float]) -> InputStatistics {
        var s = InputStatistics(features: cols)
        x.withUnsafeBufferPointer { xp in
            reference.withUnsafeBufferPointer { s.accumulate(xp.baseAddress!, reference: $0.baseAddress!, count: tokens) }
        }
        return s
    }

    /// Σ_t ‖W·x̃_t + b − (Q·x_t + b′)‖² / tokens, in f64 loops.
    static func outputError(weight: [Float], bias: [Float], reference: [Float], quantized: [Float], newBias: [Float],
                            inputs: [Float]) -> Double {
        var total = 0.0
        for t in 0..<tokens {
            for r in 0..<rows {
                var y = Double(bias[r]) - Double(newBias[r])
                for j in 0..<cols {
                    y += Double(weight[r * cols + j]) * Double(reference[t * cols + j])
                        - Double(quantized[r * cols + j]) * Double(inputs[t * cols + j])
                }
                total += y * y
            }
        }
        return total / Double(tokens)
    }

    @Test func pairedStatisticsHoldTheCrossMomentAndRefuseMixing() throws {
        let (reference, x) = Self.pairedInputs(seed: 5)
        let s = Self.pairedStatistics(x, reference: reference)
        let cross = try #require(s.crossGram), referenceSum = try #require(s.referenceSum)
        for (i, j) in [(0, 0), (3, 7), (63, 1), (20, 20)] {
            var expected = 0.0
            for t in 0..<Self.tokens { expected += Double(reference[t * Self.cols + i]) * Double(x[t * Self.cols + j]) }
            #expect(abs(cross[i * Self.cols + j] - expected) <= 1e-4 * max(1, abs(expected)))
        }
        let sum3 = (0..<Self.tokens).reduce(0.0) { $0 + Double(x[$1 * Self.cols + 3]) }
        let referenceSum3 = (0..<Self.tokens).reduce(0.0) { $0 + Double(reference[$1 * Self.cols + 3]) }
        #expect(abs(s.sum[3] - sum3) <= 1e-6 * max(1, abs(sum3)) && abs(referenceSum[3] - referenceSum3) <= 1e-6 * max(1, abs(referenceSum3)))
        #expect(s.problem == nil)

        var unpaired = s
        x.withUnsafeBufferPointer { unpaired.accumulate($0.baseAddress!, count: 4) }
        #expect(unpaired.problem != nil)
        var merged = s
        merged.merge(statistics(of: x, features: Self.cols))
        #expect(merged.problem != nil)
        var doubled = s
        doubled.merge(s)
        #expect(doubled.problem == nil && doubled.crossGram?[3 * Self.cols + 7] == 2 * cross[3 * Self.cols + 7])
    }

    @Test func floatTargetsOnIdenticalInputsLeaveTheWeightAlone() throws {
        let x = correlatedInputs(tokens: Self.tokens, features: Self.cols, seed: 9)
        let s = Self.pairedStatistics(x, reference: x)
        var random = TestRandom(seed: 10)
        let w = random.gaussians(Self.rows * Self.cols, scale: 0.1)
        var options = GPTQOptions()
        options.floatTargets = true
        let objective = try GPTQObjective(weight: w, rows: Self.rows, cols: Self.cols, statistics: s, options: options)
        let largest = zip(w, objective.target).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest < 1e-4, "W̃ moved by \(largest) though the inputs did not drift")
    }

    @Test func floatTargetsFitTheFloatOutputsBetter() throws {
        let (reference, x) = Self.pairedInputs(seed: 21)
        let s = Self.pairedStatistics(x, reference: reference)
        var random = TestRandom(seed: 22)
        let w = random.gaussians(Self.rows * Self.cols, scale: 0.1)
        let zeros = [Float](repeating: 0, count: Self.rows)
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        func error(floatTargets: Bool) throws -> Double {
            var options = GPTQOptions()
            options.floatTargets = floatTargets
            let q = try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: s, options: options).matrix.dequantize()
            return Self.outputError(weight: w, bias: zeros, reference: reference, quantized: q, newBias: zeros, inputs: x)
        }
        let plain = try error(floatTargets: false), fitted = try error(floatTargets: true)
        // The drift alone costs more than 4-bit rounding here; plain GPTQ cannot see it, float targets undo most of it.
        #expect(fitted < 0.5 * plain, "float targets \(fitted) vs plain \(plain)")
        var without = GPTQOptions()
        without.floatTargets = true
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: statistics(of: x, features: Self.cols),
                              options: without)
        }
    }

    @Test func aFreeBiasAbsorbsTheMeanError() throws {
        // Inputs far from zero mean, as after a GELU: plain GPTQ spends its budget on the mean.
        var x = correlatedInputs(tokens: Self.tokens, features: Self.cols, seed: 31)
        for t in 0..<Self.tokens { for j in 0..<Self.cols { x[t * Self.cols + j] += 2 + Float(j % 5) } }
        let s = statistics(of: x, features: Self.cols)
        var random = TestRandom(seed: 32)
        let w = random.gaussians(Self.rows * Self.cols, scale: 0.1), bias = random.gaussians(Self.rows, scale: 0.5)
        let scheme = QuantScheme(bits: 3, groupSize: 32, symmetric: false)
        let plain = try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: s).matrix.dequantize()
        var options = GPTQOptions()
        options.centered = true
        let centered = try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: s, options: options).matrix.dequantize()
        let corrected = GPTQObjective.correctedBias(bias, weight: w, quantized: centered, rows: Self.rows, cols: Self.cols, statistics: s)
        let plainError = Self.outputError(weight: w, bias: bias, reference: x, quantized: plain, newBias: bias, inputs: x)
        let centeredError = Self.outputError(weight: w, bias: bias, reference: x, quantized: centered, newBias: corrected, inputs: x)
        #expect(centeredError < 0.8 * plainError, "free bias \(centeredError) vs plain \(plainError)")
        // The corrected layer's output error has no mean left.
        for r in 0..<Self.rows {
            var mean = 0.0
            for t in 0..<Self.tokens {
                var e = Double(bias[r]) - Double(corrected[r])
                for j in 0..<Self.cols { e += Double(w[r * Self.cols + j] - centered[r * Self.cols + j]) * Double(x[t * Self.cols + j]) }
                mean += e
            }
            #expect(abs(mean / Double(Self.tokens)) < 1e-3, "row \(r): mean output error \(mean / Double(Self.tokens))")
        }
    }
}
