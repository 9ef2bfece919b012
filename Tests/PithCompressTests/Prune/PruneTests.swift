import Foundation
import PithTensor
import Testing
@testable import PithCompress

/// Masks, patterns and refusals of the pruning algorithms on random layers.
@Suite struct PruneTests {
    static func randomLayer(rows: Int, cols: Int, tokens: Int = 256, seed: UInt64 = 5) -> ([Float], InputStatistics) {
        var rng = SplitMix(seed: seed)
        let w = (0..<(rows * cols)).map { _ in 0.1 * rng.normal() }
        // Uneven feature scales, so the calibration-aware methods differ from magnitude.
        let scales = (0..<cols).map { j in j % 13 == 0 ? Float(6) : 0.5 + rng.uniform() }
        let x = (0..<(tokens * cols)).map { i in scales[i % cols] * rng.normal() }
        var statistics = InputStatistics(features: cols, keepSampleRows: 0)
        x.withUnsafeBufferPointer { statistics.accumulate($0.baseAddress!, count: tokens) }
        return (w, statistics)
    }

    static func zerosPerRow(_ w: [Float], rows: Int, cols: Int) -> [Int] {
        (0..<rows).map { r in w[(r * cols)..<((r + 1) * cols)].filter { $0 == 0 }.count }
    }

    @Test func wandaPrunesExactlyTheSparsityOfEveryRow() throws {
        let (rows, cols) = (24, 96)
        let (w, statistics) = Self.randomLayer(rows: rows, cols: cols)
        for sparsity in [0.0, 0.25, 0.5, 0.7] {
            let (pruned, mask) = try Wanda.prune(w, rows: rows, cols: cols, statistics: statistics,
                                                 target: try SparsityTarget(sparsity: sparsity, pattern: ""))
            let k = Int(Double(cols) * sparsity)
            #expect(Self.zerosPerRow(pruned, rows: rows, cols: cols).allSatisfy { $0 == k })
            #expect(abs(mask.sparsity - Double(k) / Double(cols)) < 1e-12)
            // Every kept weight is unchanged (Wanda does not update weights).
            #expect(zip(w, pruned).allSatisfy { $1 == 0 || $0 == $1 })
        }
    }

    @Test func magnitudePrunesExactlyPerLayerOrPerRow() throws {
        let (rows, cols) = (16, 64)
        let (w, _) = Self.randomLayer(rows: rows, cols: cols)
        let target = try SparsityTarget(sparsity: 0.5, pattern: "unstructured")
        let (layerWise, _) = try Magnitude.prune(w, rows: rows, cols: cols, target: target, scope: .layer)
        #expect(layerWise.filter { $0 == 0 }.count == rows * cols / 2)
        // The kept weights are the larger half.
        let threshold = w.map { abs($0) }.sorted()[rows * cols / 2]
        #expect(zip(w, layerWise).allSatisfy { abs($0.0) >= threshold ? $0.1 == $0.0 : $0.1 == 0 })
        let (rowWise, _) = try Magnitude.prune(w, rows: rows, cols: cols, target: target, scope: .row)
        #expect(Self.zerosPerRow(rowWise, rows: rows, cols: cols).allSatisfy { $0 == cols / 2 })
    }

    @Test func nOfMPatternsHoldInEveryGroupForEveryMethod() throws {
        let (rows, cols) = (16, 256)
        let (w, statistics) = Self.randomLayer(rows: rows, cols: cols)
        for (n, m) in [(2, 4), (4, 8), (1, 4)] {
            let target = try SparsityTarget(sparsity: 0, pattern: "\(n):\(m)")
            let outputs = [
                try Magnitude.prune(w, rows: rows, cols: cols, target: target, scope: .layer).weights,
                try Wanda.prune(w, rows: rows, cols: cols, statistics: statistics, target: target).weights,
                try SparseGPT.prune(w, rows: rows, cols: cols, statistics: statistics, target: target).weights,
            ]
            for out in outputs {
                #expect(PruneMask.satisfies(out, rows: rows, cols: cols, n: n, m: m))
                #expect(out.filter { $0 == 0 }.count == rows * cols / m * (m - n))
            }
        }
    }

    @Test func sparseGPTPrunesExactlyPerBlockAndBeatsWandaAndMagnitude() throws {
        let (rows, cols) = (32, 256)
        let (w, statistics) = Self.randomLayer(rows: rows, cols: cols)
        let target = try SparsityTarget(sparsity: 0.5, pattern: "")
        let sparse = try SparseGPT.prune(w, rows: rows, cols: cols, statistics: statistics, target: target)
        // The mask is chosen per block of 128 columns over all rows (§3.3): exact per block, not per row.
        for b in stride(from: 0, to: cols, by: 128) {
            let zeros = (0..<rows).reduce(0) { acc, r in acc + (b..<(b + 128)).filter { sparse.weights[r * cols + $0] == 0 }.count }
            #expect(zeros == rows * 128 / 2)
        }
        let wanda = try Wanda.prune(w, rows: rows, cols: cols, statistics: statistics, target: target).weights
        let magnitude = try Magnitude.prune(w, rows: rows, cols: cols, target: target, scope: .layer).weights
        let errors = [sparse.weights, wanda, magnitude].map { LayerError.output(w, $0, rows: rows, cols: cols, statistics: statistics) }
        #expect(errors[0] < errors[1] && errors[1] < errors[2], "sparsegpt, wanda, magnitude: \(errors)")
    }

    @Test func sparseGPTJointQuantizationKeepsExactZerosOnTheGrid() throws {
        let (rows, cols) = (16, 128)
        let (w, statistics) = Self.randomLayer(rows: rows, cols: cols)
        for symmetric in [false, true] {
            let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: symmetric)
            let result = try SparseGPT.prune(w, rows: rows, cols: cols, statistics: statistics, target: try SparsityTarget(sparsity: 0, pattern: "2:4"),
                                             options: .init(scheme: scheme))
            let matrix = try #require(result.matrix)
            let values = matrix.dequantize()
            #expect(values == result.weights)
            #expect(PruneMask.satisfies(values, rows: rows, cols: cols, n: 2, m: 4))
            #expect(result.mask.pruned.indices.allSatisfy { !result.mask.pruned[$0] || values[$0] == 0 })
            #expect(LayerError.output(w, values, rows: rows, cols: cols, statistics: statistics) < 0.2)
        }
    }

    @Test func rtnAndGPTQKeepThePrunedZerosOfEveryIntScheme() throws {
        let (rows, cols) = (16, 128)
        let (dense, statistics) = Self.randomLayer(rows: rows, cols: cols)
        let (w, mask) = try Wanda.prune(dense, rows: rows, cols: cols, statistics: statistics, target: try SparsityTarget(sparsity: 0.5, pattern: ""))
        for (bits, symmetric) in [(4, false), (4, true), (3, false), (8, false)] {
            let scheme = QuantScheme(bits: bits, groupSize: 32, symmetric: symmetric)
            let rtn = try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme, keepZeros: true).dequantize()
            let gptq = try GPTQ.quantize(w, rows: rows, cols: cols, scheme: scheme, statistics: statistics, mask: mask).matrix.dequantize()
            for values in [rtn, gptq] {
                let lost = mask.pruned.indices.filter { mask.pruned[$0] && values[$0] != 0 }
                #expect(lost.isEmpty, "\(scheme): \(lost.count) pruned weights are not 0")
            }
            // The adjusted grid costs little: RTN's error stays close to plain RTN's on the kept weights.
            let plain = try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme).dequantize()
            let keptError = { (q: [Float]) in mask.pruned.indices.filter { !mask.pruned[$0] }.reduce(0.0) { $0 + Double((w[$1] - q[$1]) * (w[$1] - q[$1])) } }
            #expect(keptError(rtn) < 1.3 * keptError(plain), "\(scheme): \(keptError(rtn)) vs \(keptError(plain))")
        }
    }

    @Test func impossibleRequestsAreRefusedInOneLine() throws {
        for (sparsity, pattern) in [(-0.1, ""), (1.0, ""), (Double.nan, ""), (0.5, "4:4"), (0.5, "5:4"), (0.5, "2:x"), (0.5, "0:4"), (0.5, "2:4:8")] {
            #expect(throws: RecipeError.self) { try SparsityTarget(sparsity: sparsity, pattern: pattern) }
        }
        let target = try SparsityTarget(sparsity: 0, pattern: "4:8")
        #expect(throws: RecipeError.self) { try target.validate(cols: 36) }
        #expect(throws: RecipeError.self) { try PassRegistry.pruning.make("random", parameters: [:]) }
        #expect(throws: RecipeError.self) { try PassRegistry.pruning.make("gptq", parameters: [:]) }
        #expect(throws: RecipeError.self) { try PassRegistry.standard.make("wanda", parameters: ["sparsity": .double(1.5)]) }
        #expect(throws: RecipeError.self) { try PassRegistry.standard.make("sparsegpt", parameters: ["pattern": .string("4:8"), "block_size": .int(12)]) }
        #expect(throws: RecipeError.self) { try PassRegistry.standard.make("magnitude", parameters: ["scope": .string("galaxy")]) }
        #expect(throws: (any Error).self) {
            try SparseGPT.prune([1, .nan, 2, 3], rows: 1, cols: 4, statistics: Self.randomLayer(rows: 1, cols: 4).1,
                                target: try SparsityTarget(sparsity: 0.5, pattern: ""))
        }
    }
}
