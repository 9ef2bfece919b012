import Testing
import PithGraph
import PithTensor
@testable import PithRuntime

/// Largest |a − b| over two logit matrices.
func maxDifference(_ a: [Float], _ b: [[Float]]) -> Float {
    zip(a, b.flatMap { $0 }).map { abs($0 - $1) }.max() ?? .infinity
}

// f32 kernels differ from plain loops only by summation order.
let f32LogitBudget: Float = 2e-3

@Test(arguments: ["interleaved", "half_split"])
func executorMatchesReferenceForward(ropeMode: String) throws {
    let tiny = try TinyLlama(ropeMode: ropeMode)
    let executor = try Executor(structure: tiny.structure, weights: tiny.weights, maxRows: 16)
    let tokens: [Int32] = [3, 17, 42, 8, 8, 0, 49, 21]
    let state = executor.makeState(capacity: 16)
    let out = try executor.run(inputs: ["token_ids": tokens, "positions": (0..<8).map { Int32($0) },
                                        "output_rows": (0..<8).map { Int32($0) }], rows: 8, state: state)
    let logits = try #require(out["logits"])
    #expect(logits.rows == 8 && logits.width == 50)
    let reference = tiny.referenceLogits(tokens.map { Int($0) })
    #expect(maxDifference(logits.values, reference) < f32LogitBudget)
}

@Test func incrementalDecodingEqualsOneBatch() throws {
    let tiny = try TinyLlama(seed: 11)
    let executor = try Executor(structure: tiny.structure, weights: tiny.weights, maxRows: 16)
    let tokens: [Int32] = [1, 2, 3, 4, 5, 6]
    let reference = tiny.referenceLogits(tokens.map { Int($0) })
    let state = executor.makeState(capacity: 16)
    // Prefill four tokens asking only for the last row, then decode two one at a time.
    let prefill = try executor.run(inputs: ["token_ids": Array(tokens[0..<4]), "positions": [0, 1, 2, 3], "output_rows": [3]],
                                   rows: 4, state: state)
    #expect(maxDifference(try #require(prefill["logits"]).values, [reference[3]]) < f32LogitBudget)
    for t in 4..<6 {
        let step = try executor.run(inputs: ["token_ids": [tokens[t]], "positions": [Int32(t)], "output_rows": [0]], rows: 1, state: state)
        #expect(maxDifference(try #require(step["logits"]).values, [reference[t]]) < f32LogitBudget)
    }
    #expect(state.length == 6)
}

// Quantized weights: the reference uses the dequantized values, so only activation rounding (8-bit) differs.
@Test(arguments: [GGMLType.q8_0, .q4_0, .q4_1])
func quantizedWeightsRunNatively(type: GGMLType) throws {
    let tiny = try TinyLlama(seed: 5, linearType: type)
    let executor = try Executor(structure: tiny.structure, weights: tiny.weights, maxRows: 16)
    let tokens: [Int32] = [9, 8, 7, 6, 5]
    let reference = tiny.referenceLogits(tokens.map { Int($0) })
    let state = executor.makeState(capacity: 16)
    for (t, token) in tokens.enumerated() {
        let out = try executor.run(inputs: ["token_ids": [token], "positions": [Int32(t)], "output_rows": [0]], rows: 1, state: state)
        let logits = try #require(out["logits"]).values
        let scale = reference[t].map { abs($0) }.max() ?? 1
        #expect(maxDifference(logits, [reference[t]]) < 0.05 * scale)
    }
}

@Test func contextOverflowIsAnError() throws {
    let tiny = try TinyLlama()
    let executor = try Executor(structure: tiny.structure, weights: tiny.weights, maxRows: 4)
    let state = executor.makeState(capacity: 2)
    #expect(throws: ExecutionError.self) {
        try executor.run(inputs: ["token_ids": [1, 2, 3], "positions": [0, 1, 2], "output_rows": [2]], rows: 3, state: state)
    }
    #expect(throws: ExecutionError.self) {
        try executor.run(inputs: ["token_ids": [99], "positions": [0], "output_rows": [0]], rows: 1, state: state)
    }
}

@Test func missingWeightIsNamed() throws {
    let tiny = try TinyLlama()
    var weights = tiny.weights
    weights["blk.1.ffn_up.weight"] = TensorData(floats: [1, 2, 3])
    #expect {
        try Executor(structure: tiny.structure, weights: weights)
    } throws: { error in
        "\(error)".contains("blk.1.ffn_up.weight")
    }
}

// A long prompt fed in batches asks for no logits from its early batches: zero selected rows must run cleanly.
@Test func aBatchWithNoSelectedRowsStillFillsTheCache() throws {
    let tiny = try TinyLlama(seed: 13)
    let executor = try Executor(structure: tiny.structure, weights: tiny.weights, maxRows: 4)
    let tokens: [Int32] = [5, 6, 7, 8, 9]
    let state = executor.makeState(capacity: 8)
    let early = try executor.run(inputs: ["token_ids": Array(tokens[0..<4]), "positions": [0, 1, 2, 3], "output_rows": []],
                                 rows: 4, state: state)
    #expect(early["logits"]?.rows == 0)
    let last = try executor.run(inputs: ["token_ids": [tokens[4]], "positions": [4], "output_rows": [0]], rows: 1, state: state)
    let reference = tiny.referenceLogits(tokens.map { Int($0) })
    #expect(maxDifference(try #require(last["logits"]).values, [reference[4]]) < f32LogitBudget)
}
