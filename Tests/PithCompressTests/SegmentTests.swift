import Foundation
import PithGraph
import PithModels
import PithRuntime
import Testing

/// Running a graph's layer segments one after another computes what the whole graph computes.
@Suite struct SegmentTests {
    /// Runs every segment in order (attention cache-free), feeding each the f32 activations made before it.
    static func runSegments(_ model: Model, inputs: [String: [Int32]], rows: Int, batch: Int = 1) throws -> [String: [Float]] {
        let graph = try #require(model.structure.mainGraph)
        var values: [String: [Float]] = [:]
        for segment in try graph.layerSegments() {
            let sub = segment.graph.withoutAttentionCache()
            let structure = ModelStructure(name: segment.key, architecture: "segment", family: model.structure.family, origin: "test", graphs: [sub])
            let executor = try Executor(structure: structure, weights: model.weights, maxRows: rows)
            var floats: [String: [Float]] = [:]
            for name in executor.floatInputNames { floats[name] = try #require(values[name], "\(segment.key) reads \(name)") }
            let out = try withPointers(floats) { pointers in
                try executor.run(inputs: inputs.filter { executor.inputNames.contains($0.key) }, floats: pointers, rows: rows, batch: batch)
            }
            for (name, o) in out { values[name] = o.values }
        }
        return values
    }

    static func withPointers<T>(_ arrays: [String: [Float]], _ body: ([String: UnsafeBufferPointer<Float>]) throws -> T) throws -> T {
        var pointers: [String: UnsafeBufferPointer<Float>] = [:]
        let names = Array(arrays.keys)
        func next(_ i: Int) throws -> T {
            guard i < names.count else { return try body(pointers) }
            return try arrays[names[i]]!.withUnsafeBufferPointer { p in
                pointers[names[i]] = p
                return try next(i + 1)
            }
        }
        return try next(0)
    }

    @Test func tinyLlamaSegmentsEqualTheWholeGraph() throws {
        let model = tinyLlama()
        let graph = try #require(model.structure.mainGraph)
        let keys = try graph.layerSegments().map(\.key)
        #expect(keys == ["embedding", "blk.0", "blk.1", "output"])
        let block = try graph.layerSegments()[1]
        #expect(block.floatInputs == ["embed.out"])
        #expect(block.integerInputs == ["positions"])
        #expect(block.graph.outputs == ["blk.0.ffn_residual.out"])
        let tokens = randomTokens(40, vocabulary: 96, seed: 5)
        let whole = try allLogits(model, tokens)
        let pieces = try Self.runSegments(model, inputs: ["token_ids": tokens, "positions": (0..<40).map { Int32($0) },
                                                          "output_rows": (0..<40).map { Int32($0) }], rows: 40)
        #expect(maxAbsDifference(whole, try #require(pieces["logits"])) <= 1e-6)
    }

    @Test func taps_handOutValuesAsTheyAreMade() throws {
        let model = tinyLlama()
        let executor = try Executor(model: model, maxRows: 8)
        var seen: [String: Int] = [:]
        let tokens = randomTokens(8, vocabulary: 96, seed: 1)
        _ = try executor.run(inputs: ["token_ids": tokens, "positions": (0..<8).map { Int32($0) }, "output_rows": [7]],
                             floats: [:], rows: 8, state: executor.makeState(capacity: 8),
                             tap: ["blk.0.attn_norm.out", "output_norm.out"]) { name, values, rows, width in
            seen[name] = rows
            #expect(values.count == rows * width && width == 64)
        }
        #expect(seen == ["blk.0.attn_norm.out": 8, "output_norm.out": 1])
    }

    @Test(.enabled(if: TestModels.smolLM2Available, TestModels.missingNote))
    func smolLM2SegmentsEqualTheWholeGraph() throws {
        let model = try TestModels.smolLM2()
        let tokens = randomTokens(48, vocabulary: 49152, seed: 9)
        let whole = try allLogits(model, tokens)
        let pieces = try Self.runSegments(model, inputs: ["token_ids": tokens, "positions": (0..<48).map { Int32($0) },
                                                          "output_rows": (0..<48).map { Int32($0) }], rows: 48)
        let logits = try #require(pieces["logits"])
        let scale = whole.reduce(Float(0)) { max($0, abs($1)) }
        #expect(maxAbsDifference(whole, logits) <= 1e-6 * max(scale, 1))
    }

    @Test(.enabled(if: TestModels.miniLMAvailable, TestModels.missingNote))
    func miniLMSegmentsEqualTheWholeGraph() throws {
        let model = try Model.load("minilm")
        let length = 16, batch = 2
        let ids = randomTokens(length * batch, vocabulary: 30000, seed: 4)
        let mask: [Int32] = (0..<(length * batch)).map { $0 >= length + 11 ? 0 : 1 }  // second sequence padded
        let inputs: [String: [Int32]] = [
            "token_ids": ids, "token_type_ids": [Int32](repeating: 0, count: ids.count),
            "positions": (0..<ids.count).map { Int32($0 % length) }, "attention_mask": mask,
        ]
        let executor = try Executor(model: model, maxRows: ids.count)
        let whole = try executor.run(inputs: inputs, rows: ids.count, batch: batch)
        let pieces = try Self.runSegments(model, inputs: inputs, rows: ids.count, batch: batch)
        for name in ["hidden_states", "sentence_embedding"] {
            let a = try #require(whole[name]?.values), b = try #require(pieces[name])
            #expect(maxAbsDifference(a, b) <= 1e-6, "\(name)")
        }
    }
}
