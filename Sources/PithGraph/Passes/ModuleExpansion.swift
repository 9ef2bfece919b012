/// Lowers the standard's module operators (§6.2: `mha`, `ffn`) into base operators, so one executor runs graphs
/// written with either. The rewritten graph is equivalent; new activations are named `<node>.<part>`.
public struct ModuleExpansion: Sendable {
    public let catalogue: OperatorCatalogue

    public init(catalogue: OperatorCatalogue = .standard) { self.catalogue = catalogue }

    /// Why a module cannot be lowered; names the node.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The graph with every module operator replaced by its base operators (unchanged when it has none).
    public func apply(to graph: ComputationGraph) throws -> ComputationGraph {
        guard graph.operators.contains(where: { catalogue[$0.type]?.category == .module }) else { return graph }
        var result = graph
        result.operators = []
        let variables = graph.variablesByName
        for node in graph.operators {
            switch node.type {
            case "mha": try lowerAttention(node, variables, into: &result)
            case "ffn": try lowerFeedForward(node, variables, into: &result)
            default: result.operators.append(node)
            }
        }
        return result
    }

    // MARK: - mha

    private func lowerAttention(_ node: OperatorNode, _ variables: [String: VariableNode], into g: inout ComputationGraph) throws {
        guard let schema = catalogue["mha"] else { return }
        func fail(_ why: String) -> Failure { Failure(description: "operator '\(node.name)' (mha): \(why)") }
        guard let input = node.input("input"), let output = node.output("output") else { throw fail("needs one input and one output") }
        func weightRows(_ port: String) throws -> (String, Int) {
            guard let name = node.input(port), let v = variables[name], v.shape.count == 2, v.shape[0] > 0 else {
                throw fail("'\(port)' must be a 2-D parameter")
            }
            return (name, v.shape[0])
        }
        let (wq, qDim) = try weightRows("wq"), (wk, kvDim) = try weightRows("wk"), (wv, _) = try weightRows("wv"), (wo, dim) = try weightRows("wo")
        let heads = schema.attribute("N_heads", of: node)?.int ?? 0
        var kvHeads = schema.attribute("kv_heads", of: node)?.int ?? 0
        if kvHeads == 0 { kvHeads = heads }
        guard heads > 0, kvHeads > 0, qDim % heads == 0 else { throw fail("N_heads = \(heads) does not divide \(qDim) query features") }
        let headDim = qDim / heads
        guard kvDim == kvHeads * headDim else { throw fail("wk has \(kvDim) rows, \(kvHeads) KV heads × \(headDim) expected") }

        func project(_ part: String, _ weight: String, _ bias: String?, _ from: String, _ features: Int, named: String? = nil) -> String {
            let out = named ?? "\(node.name).\(part)"
            if named == nil { g.variables.append(VariableNode(name: out, shape: [-1, features], isParameter: false)) }
            var inputs = ["input": [from], "weight": [weight]]
            if let bias { inputs["bias"] = [bias] }
            g.operators.append(OperatorNode(type: "linear", name: "\(node.name).\(part)", inputs: inputs, outputs: ["output": [out]]))
            return out
        }
        let q = project("q", wq, node.input("bq"), input, qDim)
        let k = project("k", wk, node.input("bk"), input, kvDim)
        let v = project("v", wv, node.input("bv"), input, kvDim)
        let attended = "\(node.name).attention"
        g.variables.append(VariableNode(name: attended, shape: [-1, qDim], isParameter: false))
        var attentionInputs = ["query": [q], "key": [k], "value": [v]]
        if let mask = node.input("mask") { attentionInputs["mask"] = [mask] }
        var attributes: [String: Attribute] = ["heads": .int(heads), "kv_heads": .int(kvHeads), "head_dim": .int(headDim)]
        for name in ["causal", "cache", "scale"] { attributes[name] = schema.attribute(name, of: node) }
        g.operators.append(OperatorNode(type: "attention", name: attended, inputs: attentionInputs,
                                        outputs: ["output": [attended]], attributes: attributes))
        _ = project("o", wo, node.input("bo"), attended, dim, named: output)
    }

    // MARK: - ffn

    private func lowerFeedForward(_ node: OperatorNode, _ variables: [String: VariableNode], into g: inout ComputationGraph) throws {
        guard let schema = catalogue["ffn"] else { return }
        func fail(_ why: String) -> Failure { Failure(description: "operator '\(node.name)' (ffn): \(why)") }
        guard let input = node.input("input"), let output = node.output("output") else { throw fail("needs one input and one output") }
        guard let up = node.input("w_up"), let upVar = variables[up], upVar.shape.count == 2, let down = node.input("w_down") else {
            throw fail("w_up and w_down must be 2-D parameters")
        }
        let activation = schema.attribute("activation", of: node)?.string ?? ""
        guard ["gelu", "silu", "relu", "tanh"].contains(activation) else { throw fail("unknown activation '\(activation)'") }
        let hidden = upVar.shape[0]
        func add(_ type: String, _ part: String, _ inputs: [String: [String]], features: Int) -> String {
            let out = "\(node.name).\(part)"
            g.variables.append(VariableNode(name: out, shape: [-1, features], isParameter: false))
            g.operators.append(OperatorNode(type: type, name: out, inputs: inputs, outputs: ["output": [out]]))
            return out
        }
        var upInputs = ["input": [input], "weight": [up]]
        if let b = node.input("b_up") { upInputs["bias"] = [b] }
        let projected = add("linear", "up", upInputs, features: hidden)
        var activated: String
        if let gate = node.input("w_gate") {
            // Gated (SwiGLU/GeGLU): activation(gate·x) ⊙ (up·x).
            let gated = add("linear", "gate", ["input": [input], "weight": [gate]], features: hidden)
            let act = add(activation, "activation", ["input": [gated]], features: hidden)
            activated = add("mul", "gated", ["a": [act], "b": [projected]], features: hidden)
        } else {
            activated = add(activation, "activation", ["input": [projected]], features: hidden)
        }
        var downInputs = ["input": [activated], "weight": [down]]
        if let b = node.input("b_down") { downInputs["bias"] = [b] }
        g.operators.append(OperatorNode(type: "linear", name: "\(node.name).down", inputs: downInputs, outputs: ["output": [output]]))
    }
}
