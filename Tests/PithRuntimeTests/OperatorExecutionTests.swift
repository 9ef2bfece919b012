import Foundation
import Testing
import PithGraph
import PithTensor
@testable import PithRuntime

/// Every base and communication operator of the catalogue runs on the CPU executor and matches a plain loop.
/// Float activations come from an embedding lookup, so each graph reads only integer inputs.
struct OperatorExecutionTests {
    /// A graph whose `x` activation is rows of a (vocabulary, features) table selected by `ids`.
    struct Harness {
        var graph = ComputationGraph()
        var weights = Weights()
        let table: [[Float]]

        init(vocabulary: Int = 6, features: Int = 8, seed: UInt64 = 7) {
            var state = seed
            func next() -> Float {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 500
            }
            table = (0..<vocabulary).map { _ in (0..<features).map { _ in next() } }
            graph.inputs = ["ids"]
            graph.variables = [VariableNode(name: "ids", elementType: .i32, shape: [-1], isParameter: false),
                               VariableNode(name: "table", shape: [vocabulary, features], isParameter: true),
                               VariableNode(name: "x", shape: [-1, features], isParameter: false)]
            graph.operators = [OperatorNode(type: "embedding", name: "lookup", inputs: ["ids": ["ids"], "weight": ["table"]], outputs: ["output": ["x"]])]
            weights["table"] = TensorData(floats: table.flatMap { $0 })
        }

        mutating func parameter(_ name: String, _ shape: [Int], _ values: [Float]) {
            graph.variables.append(VariableNode(name: name, shape: shape, isParameter: true))
            weights[name] = TensorData(floats: values)
        }

        mutating func add(_ type: String, _ name: String, _ inputs: [String: [String]], shape: [Int], attributes: [String: Attribute] = [:], output: Bool = true) {
            graph.variables.append(VariableNode(name: name, shape: shape, isParameter: false))
            graph.operators.append(OperatorNode(type: type, name: name, inputs: inputs, outputs: ["output": [name]], attributes: attributes))
            if output { graph.outputs.append(name) }
        }

        func run(_ ids: [Int32]) throws -> [String: Executor.Output] {
            let structure = ModelStructure(name: "ops", architecture: "test", family: .encoderOnly, origin: "test", graphs: [graph])
            let executor = try Executor(structure: structure, weights: weights, maxRows: 8)
            return try executor.run(inputs: ["ids": ids], rows: ids.count)
        }
    }

    static let ids: [Int32] = [2, 0, 5]

    @Test func reshapeKeepsValuesAndTransposeSwapsInnerAxes() throws {
        var h = Harness(features: 6)
        h.add("reshape", "r", ["input": ["x"]], shape: [-1, 2, 3], attributes: ["shape": .ints([-1, 2, 3])])
        h.add("transpose", "t", ["input": ["r"]], shape: [-1, 3, 2], attributes: ["perm": .ints([0, 2, 1])])
        let out = try h.run(Self.ids)
        let rows = Self.ids.map { h.table[Int($0)] }
        #expect(try #require(out["r"]).values == rows.flatMap { $0 })
        let expected = rows.flatMap { row in (0..<3).flatMap { j in (0..<2).map { i in row[i * 3 + j] } } }
        #expect(try #require(out["t"]).values == expected)
    }

    @Test func concatJoinsFeaturesAndTokens() throws {
        var h = Harness(features: 4)
        h.add("relu", "a", ["input": ["x"]], shape: [-1, 4], output: false)
        h.add("concat", "features", ["inputs": ["x", "a"]], shape: [-1, 8], attributes: ["axis": .int(-1)])
        h.add("concat", "tokens", ["inputs": ["x", "a"]], shape: [-1, 4], attributes: ["axis": .int(0)])
        let out = try h.run(Self.ids)
        let rows = Self.ids.map { h.table[Int($0)] }
        let relu = rows.map { $0.map { max($0, 0) } }
        #expect(try #require(out["features"]).values == zip(rows, relu).flatMap { $0 + $1 })
        let tokens = try #require(out["tokens"])
        #expect(tokens.rows == 6 && tokens.values == rows.flatMap { $0 } + relu.flatMap { $0 })
    }

    @Test func activationsAndSoftmaxMatchPlainLoops() throws {
        var h = Harness(features: 4)
        for op in ["relu", "tanh", "silu", "gelu", "softmax"] { h.add(op, op, ["input": ["x"]], shape: [-1, 4]) }
        let out = try h.run(Self.ids)
        let x = Self.ids.map { h.table[Int($0)] }
        func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 } && a.count == b.count }
        #expect(close(try #require(out["relu"]).values, x.flatMap { $0.map { max($0, 0) } }))
        #expect(close(try #require(out["tanh"]).values, x.flatMap { $0.map { Float(tanh(Double($0))) } }))
        #expect(close(try #require(out["silu"]).values, x.flatMap { $0.map { $0 / (1 + Float(exp(Double(-$0)))) } }))
        let gelu: [Float] = x.flatMap { row in row.map { v -> Float in
            let phi = 0.5 * (1 + erf(Double(v) / 2.0.squareRoot()))
            return v * Float(phi)
        } }
        #expect(close(try #require(out["gelu"]).values, gelu))
        let softmax = x.flatMap { row -> [Float] in
            let m = row.max() ?? 0
            let e = row.map { Float(exp(Double($0 - m))) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
        #expect(close(try #require(out["softmax"]).values, softmax))
    }

    @Test func communicationOperatorsPassValuesThroughWithOneRank() throws {
        var h = Harness()
        h.add("allreduce", "ar", ["input": ["x"]], shape: [-1, 8], attributes: ["nranks": .int(1)])
        h.add("reduce", "rd", ["input": ["ar"]], shape: [-1, 8], attributes: ["nranks": .int(1), "root_id": .int(0)])
        h.add("broadcast", "bc", ["input": ["rd"]], shape: [-1, 8], attributes: ["nranks": .int(1), "root_id": .int(0)])
        h.add("allgather", "ag", ["input": ["bc"]], shape: [-1, 8], attributes: ["nranks": .int(1)])
        h.add("reduce_scatter", "rs", ["input": ["ag"]], shape: [-1, 8], attributes: ["nranks": .int(1)])
        h.graph.operators.append(OperatorNode(type: "send", name: "send", inputs: ["input": ["rs"]], outputs: [:], attributes: ["peer": .int(0)]))
        h.add("recv", "received", [:], shape: [-1, 8], attributes: ["peer": .int(0), "shape": .ints([-1, 8])])
        let out = try h.run(Self.ids)
        let rows = Self.ids.flatMap { h.table[Int($0)] }
        for name in ["ar", "rd", "bc", "ag", "rs", "received"] { #expect(try #require(out[name]).values == rows, "\(name)") }
    }

    @Test func moreThanOneRankIsRefusedClearly() throws {
        var h = Harness()
        h.add("allreduce", "ar", ["input": ["x"]], shape: [-1, 8], attributes: ["nranks": .int(2)])
        #expect { try h.run(Self.ids) } throws: { "\($0)".contains("'ar'") && "\($0)".contains("distributed") }
        var bad = Harness()
        bad.add("broadcast", "bc", ["input": ["x"]], shape: [-1, 8], attributes: ["nranks": .int(1), "root_id": .int(3)])
        #expect { try bad.run(Self.ids) } throws: { "\($0)".contains("'bc'") && "\($0)".contains("root_id") }
    }

    @Test func moduleOperatorsEqualTheirBaseExpansion() throws {
        // mha + ffn written as modules, against the same computation written with base operators.
        func weights(_ n: Int, _ salt: Int) -> [Float] { (0..<n).map { Float(($0 * 37 + salt * 11) % 17 - 8) / 16 } }
        var modules = Harness(features: 8)
        var base = Harness(features: 8)
        for h in [0, 1] {
            var g = h == 0 ? modules : base
            for (i, name) in ["wq", "wk", "wv", "wo"].enumerated() { g.parameter(name, [8, 8], weights(64, i)) }
            g.parameter("w_up", [16, 8], weights(128, 5))
            g.parameter("w_down", [8, 16], weights(128, 6))
            if h == 0 { modules = g } else { base = g }
        }
        let attention: [String: Attribute] = ["causal": .bool(false), "cache": .bool(false)]
        modules.add("mha", "mha", ["input": ["x"], "wq": ["wq"], "wk": ["wk"], "wv": ["wv"], "wo": ["wo"]], shape: [-1, 8],
                    attributes: attention.merging(["N_heads": .int(2)]) { a, _ in a })
        modules.add("ffn", "ffn", ["input": ["mha"], "w_up": ["w_up"], "w_down": ["w_down"]], shape: [-1, 8], attributes: ["activation": .string("gelu")])
        for (name, w) in [("q", "wq"), ("k", "wk"), ("v", "wv")] {
            base.add("linear", name, ["input": ["x"], "weight": [w]], shape: [-1, 8], output: false)
        }
        base.add("attention", "att", ["query": ["q"], "key": ["k"], "value": ["v"]], shape: [-1, 8],
                 attributes: attention.merging(["heads": .int(2), "kv_heads": .int(2), "head_dim": .int(4)]) { a, _ in a }, output: false)
        base.add("linear", "mha", ["input": ["att"], "weight": ["wo"]], shape: [-1, 8])
        base.add("linear", "up", ["input": ["mha"], "weight": ["w_up"]], shape: [-1, 16], output: false)
        base.add("gelu", "act", ["input": ["up"]], shape: [-1, 16], output: false)
        base.add("linear", "ffn", ["input": ["act"], "weight": ["w_down"]], shape: [-1, 8])
        let a = try modules.run(Self.ids), b = try base.run(Self.ids)
        #expect(try #require(a["mha"]).values == (try #require(b["mha"])).values)
        #expect(try #require(a["ffn"]).values == (try #require(b["ffn"])).values)
    }
}
