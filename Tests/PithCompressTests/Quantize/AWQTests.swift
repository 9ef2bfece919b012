import Foundation
import Testing
import PithTensor
@testable import PithCompress

@Suite struct AWQTests {
    static let cols = 256, tokens = 2048
    static let salient = [5, 17, 100, 101, 230]
    static let x = correlatedInputs(tokens: tokens, features: cols, salient: salient, salientScale: 25, seed: 31)
    static let stats = statistics(of: x, features: cols)
    static let layers: [[Float]] = {
        var r = TestRandom(seed: 32)
        return [r.gaussians(96 * cols, scale: 0.05), r.gaussians(64 * cols, scale: 0.05)]
    }()
    static let rows = [96, 64]

    /// Σ_layers output error of RTN on W·diag(s), divided back by s.
    static func scaledError(_ s: [Float], scheme: QuantScheme, stats: InputStatistics = stats) throws -> Double {
        var total: Double = 0
        for (k, w) in layers.enumerated() {
            let scaled = w.enumerated().map { $0.element * s[$0.offset % cols] }
            let q = try RTN.quantize(scaled, rows: rows[k], cols: cols, scheme: scheme).dequantize()
            let back = q.enumerated().map { $0.element / s[$0.offset % cols] }
            total += try stats.outputError(original: w, approximation: back, rows: rows[k])
        }
        return total
    }

    @Test(arguments: [QuantScheme(bits: 4, groupSize: 128, symmetric: false), QuantScheme(bits: 3, groupSize: 64, symmetric: true),
                      QuantScheme(bits: 4, groupSize: 0, symmetric: false), .nf4()])
    func scalesBeatRoundToNearestWithSalientChannels(scheme: QuantScheme) throws {
        let (s, alpha, loss) = try AWQ.searchScales(weights: Self.layers, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: Self.stats)
        #expect(s.count == Self.cols)
        #expect(s.allSatisfy { $0.isFinite && $0 > 0 })
        let rtn = try Self.scaledError([Float](repeating: 1, count: Self.cols), scheme: scheme)
        let awq = try Self.scaledError(s, scheme: scheme)
        #expect(abs(awq - loss) <= 1e-3 * loss, "reported \(loss), measured \(awq)")
        print("AWQ/RTN output error, \(scheme): \(String(format: "%.3f", awq / rtn)) at α \(alpha)")
        #expect(awq < rtn * 0.9, "AWQ \(awq) (α \(alpha)) vs RTN \(rtn)")
        #expect(alpha > 0)
        // Salient channels are scaled up relative to the rest.
        let median = s.sorted()[Self.cols / 2]
        for j in Self.salient { #expect(s[j] > median) }
    }

    @Test func withoutGramUsesSampleRows() throws {
        let scheme = QuantScheme(bits: 4, groupSize: 64, symmetric: false)
        let sampled = statistics(of: Self.x, features: Self.cols, keepSampleRows: 512, keepGram: false)
        var options = AWQOptions()
        options.maxSampleRows = 256
        let (s, _, _) = try AWQ.searchScales(weights: Self.layers, rows: Self.rows, cols: Self.cols, scheme: scheme,
                                             statistics: sampled, options: options)
        let rtn = try Self.scaledError([Float](repeating: 1, count: Self.cols), scheme: scheme)
        #expect(try Self.scaledError(s, scheme: scheme) < rtn)
    }

    @Test func clipDoesNotIncreaseTheOutputError() throws {
        // Independent features, so the per-group search sees the whole loss.
        var r = TestRandom(seed: 40)
        let cols = 128, tokens = 1000
        let x = (0..<(tokens * cols)).map { i in r.gaussian() * (i % cols < 8 ? 6 : 1) }
        let stats = statistics(of: x, features: cols)
        var w = r.gaussians(32 * cols, scale: 0.05)
        for i in stride(from: 3, to: w.count, by: 29) { w[i] *= 6 }  // outlier weights worth clipping
        for scheme in [QuantScheme(bits: 3, groupSize: 32, symmetric: false), QuantScheme(bits: 4, groupSize: 64, symmetric: true), .fp8] {
            let clipped = try AWQ.clip(w, rows: 32, cols: cols, scheme: scheme, statistics: stats)
            let plain = try RTN.quantize(w, rows: 32, cols: cols, scheme: scheme).dequantize()
            let afterClip = try RTN.quantize(clipped, rows: 32, cols: cols, scheme: scheme).dequantize()
            let before = try stats.outputError(original: w, approximation: plain, rows: 32)
            let after = try stats.outputError(original: w, approximation: afterClip, rows: 32)
            #expect(after <= before * 1.01, "\(scheme): clipped \(after) vs \(before)")
            if scheme.format == .int { #expect(after < before, "\(scheme)") }
            // Clipping only shrinks magnitudes.
            #expect(zip(clipped, w).allSatisfy { abs($0) <= abs($1) })
        }
    }

    @Test func badInputThrows() {
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        #expect(throws: QuantizationError.self) {
            try AWQ.searchScales(weights: Self.layers, rows: [96], cols: Self.cols, scheme: scheme, statistics: Self.stats)
        }
        #expect(throws: QuantizationError.self) {
            try AWQ.searchScales(weights: [[1, 2]], rows: [1], cols: 2, scheme: scheme, statistics: Self.stats)
        }
        #expect(throws: QuantizationError.self) {
            try AWQ.clip(Self.layers[1], rows: 64, cols: Self.cols, scheme: scheme, statistics: InputStatistics(features: Self.cols))
        }
    }
}

@Suite struct SmoothQuantTests {
    @Test func scalesFollowTheFormula() {
        // Two layers sharing a 3-feature input; max |W| per column over both: [2, 0.5, 4].
        let w1: [Float] = [1, -0.5, 4,
                           -2, 0.25, 1]
        let w2: [Float] = [0.5, 0.1, -3]
        let s = SmoothQuant.scales(activationAbsMax: [16, 1, 0], weights: [w1, w2], rows: [2, 1], cols: 3, alpha: 0.5)
        #expect(abs(s[0] - 4 / Float(2).squareRoot()) < 1e-6)  // √16 / √2
        #expect(abs(s[1] - 1 / Float(0.5).squareRoot()) < 1e-6)  // √1 / √0.5
        #expect(s[2] == 1e-5)  // no activation: clamped away from 0
        let a75 = SmoothQuant.scales(activationAbsMax: [16, 1, 0], weights: [w1, w2], rows: [2, 1], cols: 3, alpha: 0.75)
        #expect(abs(a75[0] - 8 / Float(pow(2.0, 0.25))) < 1e-5)
        // Odd input does not trap.
        #expect(SmoothQuant.scales(activationAbsMax: [1], weights: [[1]], rows: [5], cols: 2, alpha: 0.5).count == 2)
    }
}
