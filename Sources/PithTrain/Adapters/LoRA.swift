import Foundation
import PithGraph
import PithRuntime
import PithTensor

/// LoRA (Hu et al., 2021) as a graph rewrite: each targeted linear y = x·Wᵀ becomes y = x·Wᵀ + ((x·Aᵀ)·Sᵀ)·Bᵀ with
/// trainable A (rank, in) and B (out, rank), and a frozen S = (α/rank)·I (rank, rank) carrying the scaling, since the
/// catalogue has no scale operator. W stays as stored (quantized for QLoRA); only A and B train.
///
/// A starts uniform in ±1/√in (PEFT's Kaiming-uniform with a = √5), B at zero, so the adapted model starts equal
/// to the base. The rewritten graph runs in the executor unchanged; `merge` folds the adapters back into W.
public struct LoRA: Codable, Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    /// Globs (`*`, `?`, `[…]`) matched against each linear operator's name and its weight's name: `*.attn_q`, `blk.*.ffn_*`.
    public var targets: [String]
    /// Seeds A's initialization, so the same settings give the same adapters.
    public var seed: UInt64

    enum CodingKeys: String, CodingKey { case rank, alpha, targets, seed }

    public init(rank: Int, alpha: Double, targets: [String], seed: UInt64 = 0) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
        self.seed = seed
    }

    /// α / rank, the factor on B·A.
    public var scaling: Double { alpha / Double(rank) }

    /// The adapted model: its structure and weights, and the names of the parameters to train (every A and B).
    public struct Adapted {
        public var structure: ModelStructure
        public var weights: Weights
        public var trainable: Set<String>
        /// The linear operators that received an adapter.
        public var adaptedOperators: [String]
    }

    /// Names of the pieces added around linear operator `op`.
    struct Names {
        let op: String
        var a: String { op + ".lora_a" }
        var scale: String { op + ".lora_scale" }
        var b: String { op + ".lora_b" }
        var sum: String { op + ".lora_sum" }
        var baseOutput: String { op + ".lora_base.out" }
    }

    /// Adds an adapter to every targeted linear of the main graph; throws when none matches or the settings are invalid.
    public func apply(to structure: ModelStructure, weights: Weights) throws -> Adapted {
        guard rank > 0, rank <= 1 << 16, alpha.isFinite else { throw TrainingError("LoRA: rank \(rank) and alpha \(alpha) are invalid") }
        guard let index = structure.graphs.firstIndex(where: { $0.parentGraphID == -1 }) else { throw TrainingError("no main graph") }
        var graph = structure.graphs[index], weights = weights
        var generator = SeededGenerator(seed: seed)
        var operators: [OperatorNode] = [], trainable: Set<String> = [], adapted: [String] = []
        let variables = graph.variablesByName
        for node in graph.operators {
            guard node.type == "linear", let weightName = node.input("weight"), let w = variables[weightName], w.shape.count == 2,
                  let output = node.output("output"), let outVar = variables[output],
                  targets.contains(where: { fnmatch($0, node.name, 0) == 0 || fnmatch($0, weightName, 0) == 0 }) else {
                operators.append(node)
                continue
            }
            let readers = graph.operators.filter { $0.inputs.values.contains { $0.contains(weightName) } }
            guard readers.count == 1 else {
                throw TrainingError("LoRA: '\(weightName)' is shared by \(readers.count) operators (tied); merging would change them all")
            }
            let n = Names(op: node.name), out = w.shape[0], inFeatures = w.shape[1]
            var base = node
            base.outputs["output"] = [n.baseOutput]
            let bound = 1 / Double(inFeatures).squareRoot()
            let a = (0..<(rank * inFeatures)).map { _ in Float((2 * Double(generator.next() >> 11) * 0x1p-53 - 1) * bound) }
            var s = [Float](repeating: 0, count: rank * rank)
            for i in 0..<rank { s[i * rank + i] = Float(scaling) }
            weights[n.a] = TensorData(floats: a)
            weights[n.scale] = TensorData(floats: s)
            weights[n.b] = TensorData(floats: [Float](repeating: 0, count: out * rank))
            graph.variables += [
                VariableNode(name: n.a, shape: [rank, inFeatures], isParameter: true),
                VariableNode(name: n.scale, shape: [rank, rank], isParameter: true),
                VariableNode(name: n.b, shape: [out, rank], isParameter: true),
                VariableNode(name: n.baseOutput, shape: outVar.shape, isParameter: false),
                VariableNode(name: n.a + ".out", shape: [-1, rank], isParameter: false),
                VariableNode(name: n.scale + ".out", shape: [-1, rank], isParameter: false),
                VariableNode(name: n.b + ".out", shape: outVar.shape, isParameter: false),
            ]
            operators += [
                base,
                OperatorNode(type: "linear", name: n.a, inputs: ["input": node.inputs["input"] ?? [], "weight": [n.a]], outputs: ["output": [n.a + ".out"]]),
                OperatorNode(type: "linear", name: n.scale, inputs: ["input": [n.a + ".out"], "weight": [n.scale]], outputs: ["output": [n.scale + ".out"]]),
                OperatorNode(type: "linear", name: n.b, inputs: ["input": [n.scale + ".out"], "weight": [n.b]], outputs: ["output": [n.b + ".out"]]),
                OperatorNode(type: "add", name: n.sum, inputs: ["a": [n.baseOutput], "b": [n.b + ".out"]], outputs: ["output": [output]]),
            ]
            trainable.formUnion([n.a, n.b])
            adapted.append(node.name)
        }
        guard !adapted.isEmpty else { throw TrainingError("LoRA: no linear operator matches \(targets)") }
        graph.operators = operators
        var result = structure
        result.graphs[index] = graph
        result.metadata["lora.rank"] = String(rank)
        result.metadata["lora.alpha"] = String(alpha)
        try GraphValidator().validate(result)
        return Adapted(structure: result, weights: weights, trainable: trainable, adaptedOperators: adapted)
    }

    /// Folds every adapter of the main graph into its base weight, W′ = W + B·S·A, stored f32 (a quantized base
    /// is decoded); the graph returns to the plain linear operators.
    public static func merge(_ structure: ModelStructure, weights: Weights) throws -> (ModelStructure, Weights) {
        guard let index = structure.graphs.firstIndex(where: { $0.parentGraphID == -1 }) else { throw TrainingError("no main graph") }
        var graph = structure.graphs[index], weights = weights
        let variables = graph.variablesByName
        let byName = Dictionary(graph.operators.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var removed: Set<String> = [], dropped: Set<String> = []
        for i in graph.operators.indices {
            let node = graph.operators[i], n = Names(op: node.name)
            guard node.type == "linear", let sum = byName[n.sum], let output = sum.output("output"),
                  let weightName = node.input("weight"), let w = variables[weightName], let data = weights[weightName] else { continue }
            func floats(_ name: String) throws -> [Float] {
                guard let v = variables[name], let d = weights[name] else { throw TrainingError("LoRA: '\(name)' is missing") }
                return try EncodedWeight(name: name, variable: v, data: d).decodeAll()
            }
            let (a, s, b) = (try floats(n.a), try floats(n.scale), try floats(n.b))
            let out = w.shape[0], inFeatures = w.shape[1], r = s.count > 0 ? Int(Double(s.count).squareRoot()) : 0
            guard a.count == r * inFeatures, b.count == out * r else { throw TrainingError("LoRA: adapter shapes of '\(node.name)' do not fit") }
            var merged = try EncodedWeight(name: weightName, variable: w, data: data).decodeAll()
            var sa = [Float](repeating: 0, count: r * inFeatures)  // S·A (r, in)
            Float.gemm(transposeA: false, transposeB: false, m: r, n: inFeatures, k: r, a: s, lda: r, b: a, ldb: inFeatures, beta: 0, c: &sa, ldc: inFeatures)
            Float.gemm(transposeA: false, transposeB: false, m: out, n: inFeatures, k: r, a: b, lda: r, b: sa, ldb: inFeatures, beta: 1, c: &merged, ldc: inFeatures)
            weights[weightName] = TensorData(floats: merged)
            graph.operators[i].outputs["output"] = [output]
            removed.formUnion([n.a, n.scale, n.b, n.sum])
            dropped.formUnion([n.a, n.scale, n.b, n.baseOutput, n.a + ".out", n.scale + ".out", n.b + ".out"])
            for name in [n.a, n.scale, n.b] { weights[name] = nil }
            if let v = graph.variables.firstIndex(where: { $0.name == weightName }) { graph.variables[v].encoding = .dense(.f32) }
        }
        graph.operators.removeAll { removed.contains($0.name) }
        graph.variables.removeAll { dropped.contains($0.name) }
        var result = structure
        result.graphs[index] = graph
        result.metadata["lora.rank"] = nil
        result.metadata["lora.alpha"] = nil
        try GraphValidator().validate(result)
        return (result, weights)
    }
}
