import PithGraph
import PithTensor

/// Why a graph cannot be made runnable; one line naming the node.
public struct ExecutionError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Turns a validated graph and its weights into an `ExecutionPlan`.
///
/// Activations that are no longer read hand their buffer to later ones, so a 30-layer model needs a handful of buffers.
struct GraphCompiler {
    let graph: ComputationGraph
    let weights: Weights
    let catalogue = OperatorCatalogue.standard
    /// Weights converted at load (an encoding with no native kernel); kept alive with the plan.
    var converted: [TensorData] = []
    /// Double-quantized weights already expanded into their plain layout, by name.
    var expandedWeights: [String: (QuantScheme, TensorData)] = [:]

    init(graph: ComputationGraph, weights: Weights) {
        self.graph = graph
        self.weights = weights
    }

    /// Expects a graph the caller has already validated (`Executor.init` validates the whole structure).
    mutating func compile() throws -> ExecutionPlan {
        var plan = ExecutionPlan()
        let variables = graph.variablesByName
        for name in graph.inputs {
            guard let v = variables[name], [.i32, .i64, .f32].contains(v.elementType) else {
                throw ExecutionError("graph input '\(name)' must be an integer or an f32 tensor")
            }
            // f32 inputs are activations fed from outside (a segment of a graph): they get a slot below.
            if v.elementType == .f32 { plan.floatInputs.append(name) } else { plan.integerInputs.append(name) }
        }

        // Last reader of each activation, so its buffer can be reused after that step.
        var lastUse: [String: Int] = [:]
        for (i, node) in graph.operators.enumerated() {
            for vars in node.inputs.values { for v in vars { lastUse[v] = i } }
        }
        for out in graph.outputs { lastUse[out] = Int.max }

        var freeSlots: [Int] = []
        func allocate(_ name: String, width: Int) -> Int {
            // Reuse the smallest free buffer that is wide enough, else grow the widest free one, else add one.
            if let best = freeSlots.enumerated().filter({ plan.slotWidths[$0.element] >= width })
                .min(by: { plan.slotWidths[$0.element] < plan.slotWidths[$1.element] }) {
                freeSlots.remove(at: best.offset)
                plan.slotOf[name] = best.element
                return best.element
            }
            if let widest = freeSlots.indices.max(by: { plan.slotWidths[freeSlots[$0]] < plan.slotWidths[freeSlots[$1]] }) {
                let slot = freeSlots.remove(at: widest)
                plan.slotWidths[slot] = width
                plan.slotOf[name] = slot
                return slot
            }
            plan.slotWidths.append(width)
            plan.slotOf[name] = plan.slotWidths.count - 1
            return plan.slotWidths.count - 1
        }

        for name in plan.floatInputs {
            let width = variables[name]?.elementsPerRow ?? 0
            plan.widthOf[name] = width
            _ = allocate(name, width: width)
        }

        for (index, node) in graph.operators.enumerated() {
            guard let schema = catalogue[node.type] else { throw ExecutionError("operator '\(node.name)': unknown type '\(node.type)'") }
            if node.type == "send" {
                // Single process (nranks = 1): the value waits in a slot of its own until the matching recv.
                guard let name = node.input("input"), let input = plan.slotOf[name], let v = variables[name] else {
                    throw ExecutionError("operator '\(node.name)': input is not an activation produced earlier")
                }
                let mailbox = allocate("mailbox:\(node.name)", width: v.elementsPerRow)
                plan.steps.append(.identity(input: input, width: v.elementsPerRow, output: mailbox))
                plan.mailboxes.append(.init(peer: schema.attribute("peer", of: node)?.int ?? 0, slot: mailbox))
                if lastUse[name] == index, !freeSlots.contains(input) { freeSlots.append(input) }
                continue
            }
            guard let outName = node.outputs["output"]?.first, let outVar = variables[outName] else {
                throw ExecutionError("operator '\(node.name)': the executor needs exactly one output")
            }
            let width = outVar.elementsPerRow
            plan.widthOf[outName] = width
            let output = allocate(outName, width: width)
            plan.steps.append(try step(for: node, schema: schema, output: output, plan: &plan, variables: variables))
            if node.type == "recv", let mailbox = plan.mailboxes.last(where: \.received)?.slot, !freeSlots.contains(mailbox) {
                freeSlots.append(mailbox)
            }
            for vars in node.inputs.values {
                for v in vars where lastUse[v] == index {
                    if let slot = plan.slotOf[v], !freeSlots.contains(slot), slot != output { freeSlots.append(slot) }
                }
            }
        }
        for name in graph.outputs {
            guard let slot = plan.slotOf[name] else { throw ExecutionError("graph output '\(name)' is not an activation") }
            plan.outputs.append((name, slot, variables[name]?.elementsPerRow ?? 0))
        }
        return plan
    }

    // MARK: - One operator

    private mutating func step(for node: OperatorNode, schema: OperatorSchema, output: Int, plan: inout ExecutionPlan,
                               variables: [String: VariableNode]) throws -> Step {
        func slot(_ port: String) throws -> Int {
            guard let name = node.input(port), let s = plan.slotOf[name] else {
                throw ExecutionError("operator '\(node.name)': input '\(port)' is not an activation produced earlier")
            }
            return s
        }
        func integerInput(_ port: String) throws -> Int {
            guard let name = node.input(port), let i = plan.integerInputs.firstIndex(of: name) else {
                throw ExecutionError("operator '\(node.name)': input '\(port)' must be an integer graph input")
            }
            return i
        }
        func width(_ port: String) -> Int { node.input(port).flatMap { variables[$0]?.elementsPerRow } ?? 0 }
        func lastDim(_ port: String) -> Int { node.input(port).flatMap { variables[$0]?.rowLength } ?? 0 }
        func int(_ name: String) -> Int { schema.attribute(name, of: node)?.int ?? 0 }
        func float(_ name: String) -> Float { Float(schema.attribute(name, of: node)?.double ?? 0) }

        switch node.type {
        case "embedding":
            return .embedding(ids: try integerInput("ids"), table: try bind(node, "weight", variables, embedding: true), output: output)
        case "linear":
            let bias = try node.input("bias").map { try floats($0, node: node, variables) }
            return .linear(input: try slot("input"), weight: try bind(node, "weight", variables, embedding: false), bias: bias, output: output)
        case "rms_norm":
            guard let w = node.input("weight") else { throw ExecutionError("operator '\(node.name)': missing weight") }
            guard lastDim("input") == width("input") else { throw ExecutionError("operator '\(node.name)': the CPU executor normalises 2-D (tokens, features) inputs") }
            return .rmsNorm(input: try slot("input"), weight: try floats(w, node: node, variables), epsilon: float("epsilon"), width: width("input"), output: output)
        case "layer_norm":
            let w = try node.input("weight").map { try floats($0, node: node, variables) }
            let b = try node.input("bias").map { try floats($0, node: node, variables) }
            let axis = int("begin_norm_axis"), rank = node.input("input").flatMap { variables[$0]?.shape.count } ?? 2
            guard axis == -1 || axis == rank - 1, lastDim("input") == width("input") else {
                throw ExecutionError("operator '\(node.name)': the CPU executor normalises the last axis of (tokens, features) inputs (begin_norm_axis -1)")
            }
            return .layerNorm(input: try slot("input"), weight: w, bias: b, epsilon: float("epsilon"), width: width("input"), output: output)
        case "rope":
            let mode: Kernels.RopeMode = schema.attribute("mode", of: node)?.string == "half_split" ? .halfSplit : .interleaved
            let headDim = int("head_dim"), rotary = int("rotary_dims")
            return .rope(input: try slot("input"), positions: try integerInput("positions"), heads: int("heads"), headDim: headDim,
                         rotaryDims: rotary == 0 ? headDim : rotary, base: float("base"), mode: mode, output: output)
        case "attention":
            let headDim = int("head_dim")
            var scale = float("scale")
            if scale == 0 { scale = 1 / Float(headDim).squareRoot() }
            let mask = try node.input("mask").map { _ in try integerInput("mask") }
            var cache: Int?
            if schema.attribute("cache", of: node)?.bool ?? true {
                plan.cacheWidths.append(int("kv_heads") * headDim)
                cache = plan.cacheWidths.count - 1
            }
            return .attention(query: try slot("query"), key: try slot("key"), value: try slot("value"), cache: cache, mask: mask,
                              heads: int("heads"), kvHeads: int("kv_heads"), headDim: headDim,
                              causal: schema.attribute("causal", of: node)?.bool ?? true, scale: scale, output: output)
        case "pooling":
            guard let mode = Step.PoolingMode(rawValue: schema.attribute("mode", of: node)?.string ?? "") else {
                throw ExecutionError("operator '\(node.name)': unknown pooling mode")
            }
            let mask = try node.input("mask").map { _ in try integerInput("mask") }
            return .pooling(mode, input: try slot("input"), mask: mask, width: width("input"), output: output)
        case "l2_normalize":
            return .l2Normalize(input: try slot("input"), epsilon: float("epsilon"), width: width("input"), output: output)
        case "silu": return .unary(.silu, input: try slot("input"), width: width("input"), output: output)
        case "gelu": return .unary(.gelu, input: try slot("input"), width: width("input"), output: output)
        case "relu": return .unary(.relu, input: try slot("input"), width: width("input"), output: output)
        case "tanh": return .unary(.tanh, input: try slot("input"), width: width("input"), output: output)
        case "softmax": return .softmax(input: try slot("input"), width: width("input"), axisLength: lastDim("input"), output: output)
        case "add": return .binary(.add, a: try slot("a"), b: try slot("b"), width: width("a"), output: output)
        case "mul": return .binary(.mul, a: try slot("a"), b: try slot("b"), width: width("a"), output: output)
        case "gather_rows": return .gatherRows(input: try slot("input"), indices: try integerInput("indices"), width: width("input"), output: output)
        case "allreduce", "reduce", "broadcast", "allgather", "reduce_scatter":
            // GB/T 42382.2 §6.2 communication operators; with nranks = 1 each is the identity.
            guard int("nranks") == 1 else { throw ExecutionError("operator '\(node.name)': nranks > 1 needs a distributed engine") }
            return .identity(input: try slot("input"), width: width("input"), output: output)
        case "reshape":
            let inShape = node.input("input").flatMap { variables[$0]?.shape } ?? []
            guard let outVar = node.output("output").flatMap({ variables[$0] }), inShape.first == outVar.shape.first,
                  width("input") == outVar.elementsPerRow else {
                throw ExecutionError("operator '\(node.name)': the CPU executor reshapes within a token (the leading dimension stays)")
            }
            return .identity(input: try slot("input"), width: width("input"), output: output)
        case "transpose":
            guard let inVar = node.input("input").flatMap({ variables[$0] }) else { throw ExecutionError("operator '\(node.name)': no input") }
            let perm = schema.attribute("perm", of: node)?.ints ?? []
            guard perm.count == inVar.shape.count, perm.first == 0, Set(perm) == Set(0..<perm.count) else {
                throw ExecutionError("operator '\(node.name)': perm \(perm) must permute the axes after the leading (token) one")
            }
            return .transpose(input: try slot("input"), innerShape: Array(inVar.shape.dropFirst()), perm: perm.dropFirst().map { $0 - 1 }, output: output)
        case "concat":
            let names = node.inputs["inputs"] ?? []
            var parts: [(slot: Int, shape: [Int])] = []
            for name in names {
                guard let s = plan.slotOf[name], let v = variables[name] else {
                    throw ExecutionError("operator '\(node.name)': input '\(name)' is not an activation produced earlier")
                }
                parts.append((s, v.shape))
            }
            let rank = parts.first?.shape.count ?? 0
            var axis = int("axis")
            if axis < 0 { axis += rank }
            guard rank > 0, axis >= 0, axis < rank, parts.allSatisfy({ $0.shape.count == rank }) else {
                throw ExecutionError("operator '\(node.name)': axis \(int("axis")) does not fit inputs of rank \(rank)")
            }
            return .concat(inputs: parts.map(\.slot), shapes: parts.map { Array($0.shape.dropFirst()) }, axis: axis, output: output)
        case "recv":
            // Single process (nranks = 1): a recv takes what the matching earlier send to the same peer left.
            let peer = int("peer")
            guard let index = plan.mailboxes.firstIndex(where: { $0.peer == peer && !$0.received }) else {
                throw ExecutionError("operator '\(node.name)': nothing was sent to peer \(peer) before this recv")
            }
            plan.mailboxes[index].received = true
            return .identity(input: plan.mailboxes[index].slot, width: plan.widthOf[node.output("output") ?? ""] ?? 0, output: output)
        default:
            throw ExecutionError("operator '\(node.name)': the CPU executor cannot run '\(node.type)' yet")
        }
    }

    /// A 2-D weight in an encoding a kernel reads natively, converting to f32 when none does.
    private mutating func bind(_ node: OperatorNode, _ port: String, _ variables: [String: VariableNode], embedding: Bool) throws -> BoundWeight {
        guard let name = node.input(port), let v = variables[name], v.isParameter else {
            throw ExecutionError("operator '\(node.name)': '\(port)' must be a parameter")
        }
        guard v.shape.count == 2 else { throw ExecutionError("operator '\(node.name)': '\(name)' must be 2-D, is \(v.shape)") }
        let data = try parameterData(name, v)
        let rows = v.shape[0], cols = v.shape[1]
        if let type = v.encoding.ggmlType, Kernels.supportsLinear(type) {
            return BoundWeight(pointer: try base(data, name), type: type, rows: rows, cols: cols)
        }
        if case .quantized(let scheme) = v.encoding, let kernel = QuantizedWeightKernel(scheme: scheme, rows: rows, cols: cols) {
            return BoundWeight(pointer: try base(data, name), type: .f32, rows: rows, cols: cols, quantized: kernel)
        }
        if case .quantized(let scheme) = v.encoding, scheme.isSuperBlocked {
            // Double-quantized int runs as the plain layout of the same codes (each group's d·sc, −dmin·mc as f16:
            // exact for what Pith writes; QuantizedMatrix.expandSuperBlocks), so on the plain int kernels (Q4_1's
            // for 4-bit groups of 32) at their speed, holding the plain layout's bytes in memory.
            let (plain, expanded) = try expandedWeights[name] ?? {
                let (plain, bytes) = try QuantizedMatrix.expandSuperBlocks(data.bytes, scheme: scheme, rows: rows, cols: cols)
                let expanded = bytes.withUnsafeBytes { TensorData(copying: $0) }
                converted.append(expanded)
                return (plain, expanded)
            }()
            expandedWeights[name] = (plain, expanded)  // a tied head reads the embedding's expansion
            if let type = plain.ggmlEquivalent, Kernels.supportsLinear(type) {
                return BoundWeight(pointer: try base(expanded, name), type: type, rows: rows, cols: cols)
            }
            if let kernel = QuantizedWeightKernel(scheme: plain, rows: rows, cols: cols) {
                return BoundWeight(pointer: try base(expanded, name), type: .f32, rows: rows, cols: cols, quantized: kernel)
            }
        }
        let dense = try dequantized(name, v, data)
        return BoundWeight(pointer: try base(dense, name), type: .f32, rows: rows, cols: cols)
    }

    /// A parameter as f32 values (norm weights, biases), converting when stored otherwise.
    private mutating func floats(_ name: String, node: OperatorNode, _ variables: [String: VariableNode]) throws -> UnsafePointer<Float> {
        guard let v = variables[name], v.isParameter else { throw ExecutionError("operator '\(node.name)': '\(name)' must be a parameter") }
        let data = try parameterData(name, v)
        let dense = v.encoding == .dense(.f32) ? data : try dequantized(name, v, data)
        return try base(dense, name).assumingMemoryBound(to: Float.self)
    }

    private func parameterData(_ name: String, _ v: VariableNode) throws -> TensorData {
        guard let data = weights[name] else { throw ExecutionError("parameter '\(name)' has no data") }
        guard let expected = v.encoding.byteCount(shape: v.shape), data.count == expected else {
            throw ExecutionError("parameter '\(name)': \(data.count) bytes do not hold \(v.shape) in \(v.encoding.name)")
        }
        return data
    }

    private func base(_ data: TensorData, _ name: String) throws -> UnsafeRawPointer {
        guard let p = data.bytes.baseAddress else { throw ExecutionError("parameter '\(name)' is empty") }
        return p
    }

    private mutating func dequantized(_ name: String, _ v: VariableNode, _ data: TensorData) throws -> TensorData {
        if case .quantized(let scheme) = v.encoding, let elements = v.elementCount {
            // Reference path (scalar): schemes without a native kernel run as f32.
            let cols = v.rowLength
            let values = try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: elements / max(cols, 1), cols: cols).dequantize()
            let dense = TensorData(floats: values)
            converted.append(dense)
            return dense
        }
        guard let type = v.encoding.ggmlType, type.canDequantize, let elements = v.elementCount else {
            throw ExecutionError("parameter '\(name)': no kernel reads \(v.encoding.name)")
        }
        let dense = try TensorData(count: elements * 4) { out in
            guard let floats = out.bindMemory(to: Float.self).baseAddress else { return }
            try type.dequantize(data.bytes, count: elements, into: floats)
        }
        converted.append(dense)
        return dense
    }
}

extension VariableNode {
    /// Elements per row of an activation: the product of every dimension after the leading (token) one.
    var elementsPerRow: Int { shape.dropFirst().reduce(1) { $0 &* max($1, 0) } }
}
