/// A run of a graph's operators cut out as a graph of its own: what calibration runs one block at a time.
///
/// Its inputs are the activations it reads from earlier operators (as f32 inputs) plus the integer graph inputs it
/// reads (positions, masks …); its outputs are the activations read after it (or handed back by the whole graph).
/// Running the segments of a graph in order, each fed the outputs of those before, computes what the graph computes.
public struct GraphSegment: Sendable, Equatable {
    /// The layer the operators belong to (`LayerKey`): "embedding", "blk.3", "output" …
    public var key: String
    /// Indices of the operators in the whole graph, ascending.
    public var operatorIndices: [Int]
    public var graph: ComputationGraph

    public init(key: String, operatorIndices: [Int], graph: ComputationGraph) {
        self.key = key
        self.operatorIndices = operatorIndices
        self.graph = graph
    }

    /// Activations fed from outside (f32 inputs).
    public var floatInputs: [String] {
        let variables = graph.variablesByName
        return graph.inputs.filter { variables[$0]?.elementType == .f32 }
    }

    /// Integer inputs (token ids, positions, masks …).
    public var integerInputs: [String] {
        let variables = graph.variablesByName
        return graph.inputs.filter { variables[$0]?.elementType != .f32 }
    }
}

/// Why a segment cannot be cut; one line naming the operator or variable.
public struct SegmentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension ComputationGraph {
    /// The graph cut into consecutive runs of operators with the same layer key, in execution order.
    public func layerSegments(layerKey: (String) -> String = LayerKey.of) throws -> [GraphSegment] {
        var runs: [(key: String, indices: [Int])] = []
        for (i, node) in operators.enumerated() {
            let key = layerKey(node.name)
            if runs.last?.key == key { runs[runs.count - 1].indices.append(i) } else { runs.append((key, [i])) }
        }
        return try runs.map { try segment(key: $0.key, operators: $0.indices) }
    }

    /// The operators at `indices` (ascending) as a graph: inputs are what they read from outside, outputs what is read
    /// after them (or is a graph output), plus `extraOutputs` produced inside.
    public func segment(key: String, operators indices: [Int], extraOutputs: [String] = []) throws -> GraphSegment {
        guard indices == indices.sorted(), Set(indices).count == indices.count,
              indices.allSatisfy({ operators.indices.contains($0) }) else {
            throw SegmentError("segment '\(key)': operator indices must be ascending, distinct and inside the graph")
        }
        let variables = variablesByName
        let inside = Set(indices)
        var produced = Set<String>(), order: [String] = [], inputs: [String] = []
        var seenInput = Set<String>()
        func declare(_ name: String) {
            if !order.contains(name) { order.append(name) }
        }
        for i in indices {
            let node = operators[i]
            for port in node.inputs.keys.sorted() {
                for name in node.inputs[port] ?? [] {
                    guard let v = variables[name] else { throw SegmentError("operator '\(node.name)': '\(name)' is not declared") }
                    declare(name)
                    if !v.isParameter && !produced.contains(name) && seenInput.insert(name).inserted {
                        if !self.inputs.contains(name) && v.elementType != .f32 {
                            throw SegmentError("operator '\(node.name)': '\(name)' comes from outside the segment but is \(v.elementType.rawValue), not f32")
                        }
                        inputs.append(name)
                    }
                }
            }
            for name in node.outputs.values.flatMap({ $0 }) {
                declare(name)
                produced.insert(name)
            }
        }
        // Read after the segment: by a later operator outside it, or as a graph output.
        var readAfter = Set(outputs)
        for (i, node) in operators.enumerated() where !inside.contains(i) && i > (indices.first ?? 0) {
            for name in node.inputs.values.flatMap({ $0 }) { readAfter.insert(name) }
        }
        var outs = order.filter { produced.contains($0) && readAfter.contains($0) }
        for name in extraOutputs where !outs.contains(name) {
            guard produced.contains(name) else { throw SegmentError("segment '\(key)': '\(name)' is not produced inside it") }
            outs.append(name)
        }
        var graph = ComputationGraph(graphID: graphID, name: key, role: role,
                                     operators: indices.map { operators[$0] },
                                     variables: order.compactMap { variables[$0] },
                                     inputs: inputs, outputs: outs)
        // Integer inputs first, in the whole graph's order, then the f32 ones.
        let integer = self.inputs.filter { inputs.contains($0) }
        graph.inputs = integer + inputs.filter { !integer.contains($0) }
        return GraphSegment(key: key, operatorIndices: indices, graph: graph)
    }

    /// Only the operators needed to compute `names`, which become the outputs; unread inputs are dropped.
    public func pruned(toProduce names: [String]) throws -> ComputationGraph {
        var needed = Set(names)
        var keep = [Bool](repeating: false, count: operators.count)
        for (i, node) in operators.enumerated().reversed() {
            let outs = node.outputs.values.flatMap { $0 }
            guard outs.contains(where: needed.contains) else { continue }
            keep[i] = true
            for name in node.inputs.values.flatMap({ $0 }) { needed.insert(name) }
        }
        let available = Set(inputs).union(operators.flatMap { $0.outputs.values.flatMap { $0 } })
        for name in names where !available.contains(name) {
            throw SegmentError("'\(name)' is neither computed nor read by graph '\(self.name ?? String(graphID))'")
        }
        var graph = self
        graph.operators = operators.indices.filter { keep[$0] }.map { operators[$0] }
        graph.inputs = inputs.filter(needed.contains)
        graph.outputs = names
        let used = Set(graph.operators.flatMap { Array($0.inputs.values.joined()) + Array($0.outputs.values.joined()) })
            .union(graph.inputs)
        graph.variables = variables.filter { used.contains($0.name) }
        return graph
    }

    /// The graph with every attention attending within the call's sequences instead of through a KV cache: the
    /// same values for sequences fed whole from an empty cache, and several sequences per call.
    public func withoutAttentionCache() -> ComputationGraph {
        var graph = self
        for i in graph.operators.indices where graph.operators[i].type == "attention" {
            graph.operators[i].attributes["cache"] = .bool(false)
        }
        return graph
    }
}
