import PithGraph
import PithModels

/// Where per-input-channel scales s can be folded so the float model computes exactly what it did: the operator that
/// produces a linear group's input X is changed to produce X/s, and each linear of the group gets W·diag(s).
///
/// Foldable producers: `rms_norm` / `layer_norm` (weight and bias divided by s), a `linear` (its output rows and bias
/// divided by s), through `mul` (into the operand made by a linear) and through `attention` into the value
/// projection when every query head has its own value head (no grouped-query sharing).
public enum ScaleFolding {
    /// What to rewrite.
    public enum Site: Sendable, Equatable {
        /// A norm's weight (and bias): divided by s.
        case norm(operator: String, weight: String, bias: String?)
        /// A linear's rows (and bias): row j divided by s_j.
        case linearRows(operator: String, weight: String, bias: String?)

        public var operatorName: String {
            switch self {
            case .norm(let op, _, _), .linearRows(let op, _, _): op
            }
        }

        /// The parameters the fold rewrites.
        public var parameters: [String] {
            switch self {
            case .norm(_, let w, let b), .linearRows(_, let w, let b): [w] + (b.map { [$0] } ?? [])
            }
        }
    }

    /// The fold site for scales on `input`, read by the linears `group` (operator names); `allowed` are the operators
    /// whose parameters may be rewritten (the current block's). Returns the reason when there is none.
    public static func site(for input: String, group: Set<String>, in graph: ComputationGraph,
                            allowed: Set<String>) -> Result<Site, FoldRefusal> {
        let readers = graph.operators.filter { $0.inputs.values.contains { $0.contains(input) } }
        if let other = readers.first(where: { !group.contains($0.name) }) {
            return .failure(FoldRefusal("'\(input)' is also read by '\(other.name)'"))
        }
        for op in readers {
            guard let w = op.input("weight") else { continue }
            if let other = graph.operators.first(where: { $0.name != op.name && $0.inputs.values.contains { $0.contains(w) } }) {
                return .failure(FoldRefusal("'\(w)' is shared with '\(other.name)' (tied), which scaling would change too"))
            }
        }
        return producerSite(of: input, in: graph, allowed: allowed)
    }

    private static func producerSite(of name: String, in graph: ComputationGraph, allowed: Set<String>) -> Result<Site, FoldRefusal> {
        guard let producer = graph.operators.first(where: { $0.outputs.values.contains { $0.contains(name) } }) else {
            return .failure(FoldRefusal("'\(name)' is a graph input"))
        }
        guard allowed.contains(producer.name) else {
            return .failure(FoldRefusal("its producer '\(producer.name)' lies outside the block"))
        }
        func soleParameter(_ port: String) -> String?? {
            guard let p = producer.input(port) else { return .some(nil) }
            let readers = graph.operators.filter { $0.inputs.values.contains { $0.contains(p) } }
            return readers.count == 1 ? .some(p) : nil
        }
        switch producer.type {
        case "rms_norm", "layer_norm":
            guard let weight = soleParameter("weight"), let w = weight else {
                return .failure(FoldRefusal("'\(producer.name)' has no weight of its own to fold into"))
            }
            guard let bias = soleParameter("bias") else { return .failure(FoldRefusal("'\(producer.name)' shares its bias")) }
            return .success(.norm(operator: producer.name, weight: w, bias: bias))
        case "linear":
            guard let weight = soleParameter("weight"), let w = weight else {
                return .failure(FoldRefusal("'\(producer.name)' shares its weight"))
            }
            guard let bias = soleParameter("bias") else { return .failure(FoldRefusal("'\(producer.name)' shares its bias")) }
            return .success(.linearRows(operator: producer.name, weight: w, bias: bias))
        case "mul":
            // (a ⊙ b)/s = a ⊙ (b/s): into whichever operand a linear makes, read only here.
            var reasons: [String] = []
            for port in ["b", "a"] {
                guard let operand = producer.input(port) else { continue }
                let readers = graph.operators.filter { $0.inputs.values.contains { $0.contains(operand) } }
                guard readers.count == 1 else { reasons.append("'\(operand)' is read elsewhere"); continue }
                if case .success(let site) = producerSite(of: operand, in: graph, allowed: allowed), case .linearRows = site {
                    return .success(site)
                }
                reasons.append("'\(operand)' is not made by a linear")
            }
            return .failure(FoldRefusal("through '\(producer.name)' (mul): \(reasons.joined(separator: "; "))"))
        case "attention":
            let schema = OperatorCatalogue.standard["attention"]
            let heads = schema?.attribute("heads", of: producer)?.int ?? 0
            let kvHeads = schema?.attribute("kv_heads", of: producer)?.int ?? 0
            guard heads == kvHeads else {
                return .failure(FoldRefusal("'\(producer.name)' shares value heads (\(heads) query heads, \(kvHeads) KV heads)"))
            }
            guard let value = producer.input("value") else { return .failure(FoldRefusal("'\(producer.name)' has no value")) }
            let readers = graph.operators.filter { $0.inputs.values.contains { $0.contains(value) } }
            guard readers.count == 1 else { return .failure(FoldRefusal("'\(value)' is read elsewhere")) }
            let site = producerSite(of: value, in: graph, allowed: allowed)
            if case .success(.linearRows) = site { return site }
            return .failure(FoldRefusal("the value of '\(producer.name)' is not made by a linear"))
        default:
            return .failure(FoldRefusal("no fold through '\(producer.name)' (\(producer.type))"))
        }
    }

    /// Divides a norm's weight and bias, or a linear's rows (cols values each) and bias, by `scales`.
    public static func divide(_ values: inout [Float], by scales: [Float], rowsOf cols: Int = 1) {
        for j in scales.indices {
            let inverse = 1 / scales[j]
            for i in (j * cols)..<((j + 1) * cols) { values[i] *= inverse }
        }
    }

    /// Multiplies each row's column j by scales[j] (a (rows, cols) weight that reads the scaled input).
    public static func multiplyColumns(_ values: inout [Float], by scales: [Float]) {
        let cols = scales.count
        for r in 0..<(values.count / max(cols, 1)) {
            for j in 0..<cols { values[r * cols + j] *= scales[j] }
        }
    }
}

/// Why scales cannot be folded for a group; reported, and the group is quantized unscaled.
public struct FoldRefusal: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension ScaleFolding {
    /// Folds `scales` on `input` into the stored weights: the producer's parameters divided, and the columns of every
    /// linear reading `input` multiplied (all written back as dense f32). The float model computes the same function.
    public static func apply(_ scales: [Float], on input: String, to model: Model) throws -> Model {
        guard let graph = model.structure.mainGraph else { throw QuantizationError("the model has no main graph") }
        let readers = graph.operators.filter { $0.type == "linear" && $0.input("input") == input }
        let all = Set(graph.operators.map(\.name))
        let site: Site
        switch self.site(for: input, group: Set(readers.map(\.name)), in: graph, allowed: all) {
        case .failure(let refusal): throw QuantizationError("cannot fold scales on '\(input)': \(refusal.description)")
        case .success(let s): site = s
        }
        var model = model
        for (k, name) in site.parameters.enumerated() {
            var values = try model.floatValues(of: name)
            let cols = k == 0 ? (model.parameter(named: name)?.shape.count == 2 ? model.parameter(named: name)?.rowLength ?? 1 : 1) : 1
            divide(&values, by: scales, rowsOf: cols)
            model.store(name, floats: values)
        }
        for op in readers {
            guard let w = op.input("weight") else { continue }
            var values = try model.floatValues(of: w)
            multiplyColumns(&values, by: scales)
            model.store(w, floats: values)
        }
        return model
    }
}
