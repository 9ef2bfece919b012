import Foundation
import Testing
@testable import PithCompress

/// Wanda and SparseGPT against an independent NumPy re-implementation of the authors' published algorithms
/// (`scripts/reference/pruning_reference.py`, float64), on random layers with correlated, uneven calibration inputs.
@Suite struct PruningReferenceTests {
    /// Masks must agree on this share of weights (SparseGPT's sequential updates in f32 against f64 may flip a weight
    /// that sits on the threshold, and the reference prunes `score ≤ threshold`, one more per block than ⌊n·s⌋).
    static let maskAgreement = 0.99
    /// Relative reconstruction errors within this fraction of the reference's.
    static let errorTolerance = 0.01

    struct Fixture: Decodable {
        struct Result: Decodable {
            let method: String
            let pattern: String
            let sparsity: Double
            let mask: String
            let error: Double
        }
        struct Layer: Decodable {
            let rows: Int
            let cols: Int
            let tokens: Int
            let weight: String
            let inputs: String
            let results: [Result]
        }
        let layers: [Layer]
    }

    static func load() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "pruning_fixtures", withExtension: "json", subdirectory: "Data"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static func floats(_ base64: String) throws -> [Float] {
        let data = try #require(Data(base64Encoded: base64))
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
            .map { Float(bitPattern: UInt32(littleEndian: $0)) }
    }

    static func bits(_ base64: String, count: Int) throws -> [Bool] {
        let bytes = [UInt8](try #require(Data(base64Encoded: base64)))
        return (0..<count).map { bytes[$0 / 8] >> ($0 % 8) & 1 == 1 }
    }

    /// ‖(W − W′)Xᵀ‖² / ‖WXᵀ‖² in f64, straight from the inputs.
    static func relativeError(_ w: [Float], _ pruned: [Float], inputs x: [Float], rows: Int, cols: Int, tokens: Int) -> Double {
        var num = 0.0, den = 0.0
        for r in 0..<rows {
            for t in 0..<tokens {
                var y = 0.0, d = 0.0
                for j in 0..<cols {
                    let xv = Double(x[t * cols + j])
                    y += Double(w[r * cols + j]) * xv
                    d += Double(w[r * cols + j] - pruned[r * cols + j]) * xv
                }
                num += d * d
                den += y * y
            }
        }
        return num / den
    }

    @Test func wandaAndSparseGPTMatchTheReference() throws {
        let fixture = try Self.load()
        #expect(fixture.layers.count == 2)
        for layer in fixture.layers {
            let w = try Self.floats(layer.weight), x = try Self.floats(layer.inputs)
            #expect(w.count == layer.rows * layer.cols && x.count == layer.tokens * layer.cols)
            var statistics = InputStatistics(features: layer.cols, keepSampleRows: 0)
            x.withUnsafeBufferPointer { statistics.accumulate($0.baseAddress!, count: layer.tokens) }
            for expected in layer.results {
                let target = try SparsityTarget(sparsity: expected.sparsity, pattern: expected.pattern)
                let (pruned, mask): ([Float], PruneMask)
                if expected.method == "wanda" {
                    (pruned, mask) = try Wanda.prune(w, rows: layer.rows, cols: layer.cols, statistics: statistics, target: target)
                } else {
                    let result = try SparseGPT.prune(w, rows: layer.rows, cols: layer.cols, statistics: statistics, target: target)
                    (pruned, mask) = (result.weights, result.mask)
                }
                let reference = try Self.bits(expected.mask, count: w.count)
                let agreement = Double(zip(reference, mask.pruned).filter { $0 == $1 }.count) / Double(w.count)
                let error = Self.relativeError(w, pruned, inputs: x, rows: layer.rows, cols: layer.cols, tokens: layer.tokens)
                let label = "\(layer.rows)×\(layer.cols) \(expected.method) \(expected.pattern) \(expected.sparsity)"
                #expect(agreement >= Self.maskAgreement, "\(label): masks agree on \(agreement)")
                #expect(abs(error - expected.error) <= Self.errorTolerance * expected.error,
                        "\(label): error \(error) vs reference \(expected.error)")
                print("reference \(label): mask agreement \(String(format: "%.4f", agreement)), error \(String(format: "%.6e", error)) vs \(String(format: "%.6e", expected.error)) (\(String(format: "%+.3f", 100 * (error / expected.error - 1)))%)")
            }
        }
    }
}
