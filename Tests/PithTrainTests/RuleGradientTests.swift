import PithGraph
import Testing
@testable import PithTrain

/// Every operator's backward rule against central finite differences, in f64 (the rules are generic, so this is the
/// same code that trains in f32), on small random inputs.
@Suite struct RuleGradientTests {
    static let rows = 8, sequences = 2

    /// Runs the check on `g` with float inputs of `rows` rows and the given integer inputs; returns the worst error.
    func check(_ g: OperatorGraph, integers: [String: [Int32]] = [:], rows: Int = rows, sequences: Int = sequences,
               seed: UInt64, inputScale: Double = 1) throws -> Double {
        var rng = SplitMix64(seed: seed)
        let engine = try GradientEngine<Double>(structure: g.structure, weights: g.weights(&rng))
        var floats: [String: Matrix<Double>] = [:]
        for name in g.graph.inputs {
            guard let v = g.graph.variable(named: name), v.elementType == .f32 else { continue }
            floats[name] = try Matrix(rows: rows, cols: v.featuresPerRow, values: rng.doubles(rows * v.featuresPerRow, scale: inputScale))
        }
        let batch = TrainingBatch(integers: integers, floats: floats, rows: rows, sequences: sequences)
        let checker = try FiniteDifferenceCheck(engine: engine, batch: batch, rng: &rng)
        let (error, tensor) = try checker.run(rng: &rng)
        print("finite differences: \(g.graph.operators.map(\.type).joined(separator: "+")) worst \(error) in \(tensor)")
        return error
    }

    func single(_ type: String, width: Int = 6, attributes: [String: Attribute] = [:]) -> OperatorGraph {
        var g = OperatorGraph()
        g.floatInput("x", width)
        g.op(type, ["input": ["x"]], "y", [width], attributes: attributes)
        return g
    }

    // MARK: - Rows and tables

    @Test func embedding() throws {
        var g = OperatorGraph()
        g.integerInput("ids")
        g.parameter("table", 7, 5)
        g.op("embedding", ["ids": ["ids"], "weight": ["table"]], "y", [5])
        #expect(try check(g, integers: ["ids": [3, 0, 3, 6, 1, 1, 2, 3]], seed: 1) <= FiniteDifferenceCheck.budget)
    }

    @Test func gatherRows() throws {
        var g = OperatorGraph()
        g.floatInput("x", 4)
        g.integerInput("rows")
        g.op("gather_rows", ["input": ["x"], "indices": ["rows"]], "y", [4])
        #expect(try check(g, integers: ["rows": [7, 1, 1, 0]], seed: 2) <= FiniteDifferenceCheck.budget)
    }

    @Test(arguments: [true, false]) func linear(bias: Bool) throws {
        var g = OperatorGraph()
        g.floatInput("x", 5)
        g.parameter("w", 3, 5)
        var inputs = ["input": ["x"], "weight": ["w"]]
        if bias {
            g.parameter("b", 3)
            inputs["bias"] = ["b"]
        }
        g.op("linear", inputs, "y", [3])
        #expect(try check(g, seed: 3) <= FiniteDifferenceCheck.budget)
    }

    // MARK: - Norms

    @Test func rmsNorm() throws {
        var g = OperatorGraph()
        g.floatInput("x", 6)
        g.parameter("gamma", 6)
        g.op("rms_norm", ["input": ["x"], "weight": ["gamma"]], "y", [6], attributes: ["epsilon": .float(1e-5)])
        #expect(try check(g, seed: 4) <= FiniteDifferenceCheck.budget)
    }

    @Test(arguments: [true, false]) func layerNorm(affine: Bool) throws {
        var g = OperatorGraph()
        g.floatInput("x", 6)
        var inputs = ["input": ["x"]]
        if affine {
            g.parameter("gamma", 6)
            g.parameter("beta", 6)
            inputs["weight"] = ["gamma"]
            inputs["bias"] = ["beta"]
        }
        g.op("layer_norm", inputs, "y", [6], attributes: ["epsilon": .float(1e-12)])
        #expect(try check(g, seed: 5) <= FiniteDifferenceCheck.budget)
    }

    @Test func l2Normalize() throws {
        #expect(try check(single("l2_normalize"), seed: 6) <= FiniteDifferenceCheck.budget)
    }

    // MARK: - Rotary embedding and attention

    @Test(arguments: ["interleaved", "half_split"]) func rope(mode: String) throws {
        var g = OperatorGraph()
        g.floatInput("x", 16)
        g.integerInput("positions")
        // Two heads of 8, the first 4 dimensions rotating (partial rotary), a large base so angles differ.
        g.op("rope", ["input": ["x"], "positions": ["positions"]], "y", [16],
             attributes: ["heads": .int(2), "head_dim": .int(8), "rotary_dims": .int(4), "base": .float(100), "mode": .string(mode)])
        #expect(try check(g, integers: ["positions": [0, 3, 7, 2, 11, 5, 1, 9]], seed: 7) <= FiniteDifferenceCheck.budget)
    }

    /// Grouped-query causal attention (4 heads over 2 KV heads), two sequences of 4.
    @Test func causalGroupedAttention() throws {
        var g = OperatorGraph()
        g.floatInput("q", 12)
        g.floatInput("k", 6)
        g.floatInput("v", 6)
        g.op("attention", ["query": ["q"], "key": ["k"], "value": ["v"]], "y", [12],
             attributes: ["heads": .int(4), "kv_heads": .int(2), "head_dim": .int(3), "causal": .bool(true), "scale": .float(0.7)])
        #expect(try check(g, seed: 8) <= FiniteDifferenceCheck.budget)
    }

    /// Bidirectional attention with a padding mask (right padding, and a hole), and causal attention with the same mask.
    @Test(arguments: [false, true]) func paddedAttention(causal: Bool) throws {
        var g = OperatorGraph()
        g.floatInput("q", 8)
        g.floatInput("k", 8)
        g.floatInput("v", 8)
        g.integerInput("mask")
        g.op("attention", ["query": ["q"], "key": ["k"], "value": ["v"], "mask": ["mask"]], "y", [8],
             attributes: ["heads": .int(2), "kv_heads": .int(2), "head_dim": .int(4), "causal": .bool(causal), "cache": .bool(false)])
        #expect(try check(g, integers: ["mask": [1, 1, 1, 0, 1, 0, 1, 0]], seed: 9) <= FiniteDifferenceCheck.budget)
    }

    // MARK: - Activations and elementwise

    @Test(arguments: ["silu", "gelu", "relu", "tanh"]) func activation(type: String) throws {
        #expect(try check(single(type), seed: 10, inputScale: 3) <= FiniteDifferenceCheck.budget)
    }

    @Test func softmaxOverTheLastAxis() throws {
        var g = OperatorGraph()
        g.floatInput("x", 2, 5)  // two softmax segments per row
        g.op("softmax", ["input": ["x"]], "y", [2, 5])
        #expect(try check(g, seed: 11, inputScale: 2) <= FiniteDifferenceCheck.budget)
    }

    @Test(arguments: ["add", "mul"]) func binary(type: String) throws {
        var g = OperatorGraph()
        g.floatInput("a", 5)
        g.floatInput("b", 5)
        g.op(type, ["a": ["a"], "b": ["b"]], "y", [5])
        #expect(try check(g, seed: 12) <= FiniteDifferenceCheck.budget)
    }

    // MARK: - Layout, pooling, communication

    @Test func reshapeAndTranspose() throws {
        var g = OperatorGraph()
        g.floatInput("x", 6)
        g.op("reshape", ["input": ["x"]], "r", [2, 3], attributes: ["shape": .ints([-1, 2, 3])], isOutput: false)
        g.op("transpose", ["input": ["r"]], "t", [3, 2], attributes: ["perm": .ints([0, 2, 1])])
        g.op("tanh", ["input": ["r"]], "u", [2, 3])  // r read twice: gradients from both uses add up
        #expect(try check(g, seed: 13) <= FiniteDifferenceCheck.budget)
    }

    @Test(arguments: [0, 2]) func concat(axis: Int) throws {
        var g = OperatorGraph()
        g.floatInput("a", 2, 3)
        g.floatInput("b", 2, axis == 0 ? 3 : 2)
        g.op("concat", ["inputs": ["a", "b"]], "y", [2, axis == 0 ? 3 : 5], attributes: ["axis": .int(axis)])
        #expect(try check(g, seed: 14) <= FiniteDifferenceCheck.budget)
    }

    @Test(arguments: ["mean", "cls", "max", "mean_sqrt_len"]) func pooling(mode: String) throws {
        var g = OperatorGraph()
        g.floatInput("x", 5)
        g.integerInput("mask")
        g.op("pooling", ["input": ["x"], "mask": ["mask"]], "y", [5], attributes: ["mode": .string(mode)])
        #expect(try check(g, integers: ["mask": [1, 1, 1, 0, 1, 1, 0, 0]], seed: 15) <= FiniteDifferenceCheck.budget)
    }

    @Test func singleRankCommunicationIsTheIdentity() throws {
        #expect(try check(single("allreduce", attributes: ["nranks": .int(1)]), seed: 16) <= FiniteDifferenceCheck.budget)
    }

    /// A module operator (the standard's FFN) differentiates as the base operators it expands into.
    @Test func moduleOperatorExpands() throws {
        var g = OperatorGraph()
        g.floatInput("x", 4)
        g.parameter("up", 6, 4)
        g.parameter("gate", 6, 4)
        g.parameter("down", 4, 6)
        g.op("ffn", ["input": ["x"], "w_up": ["up"], "w_gate": ["gate"], "w_down": ["down"]], "y", [4],
             attributes: ["activation": .string("silu")])
        #expect(try check(g, seed: 17) <= FiniteDifferenceCheck.budget)
    }
}
