/// Checks a graph against the operator catalogue before it runs; every fault names the node.
public struct GraphValidator: Sendable {
    public let catalogue: OperatorCatalogue

    public init(catalogue: OperatorCatalogue = .standard) {
        self.catalogue = catalogue
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Validates every graph of a model structure and the links between graphs.
    public func validate(_ structure: ModelStructure) throws {
        let ids = structure.graphs.map(\.graphID)
        guard Set(ids).count == ids.count else { throw Failure("graph ids are not unique: \(ids)") }
        guard structure.mainGraph != nil else { throw Failure("no main graph (parent_graph_id -1)") }
        let known = Set(ids)
        for g in structure.graphs {
            if g.parentGraphID != -1 && !known.contains(g.parentGraphID) {
                throw Failure("graph \(g.graphID): parent_graph_id \(g.parentGraphID) does not exist")
            }
            if g.forwardGraphID != -1 && !known.contains(g.forwardGraphID) {
                throw Failure("graph \(g.graphID): forward_graph_id \(g.forwardGraphID) does not exist")
            }
        }
        try checkParentChainsTerminate(structure.graphs)
        for g in structure.graphs { try validate(g) }
    }

    /// Validates one graph: declared variables, known operators, ports, attribute kinds, single producers, no cycles.
    public func validate(_ graph: ComputationGraph) throws {
        var declared: [String: VariableNode] = [:]
        for v in graph.variables {
            guard declared[v.name] == nil else { throw Failure("variable '\(v.name)' is declared twice") }
            guard v.shape.allSatisfy({ $0 >= -1 }) else { throw Failure("variable '\(v.name)' has a bad shape \(v.shape)") }
            if v.isParameter {
                guard v.elementCount != nil else { throw Failure("parameter '\(v.name)' needs a static shape, has \(v.shape)") }
                if case .ggml(let t) = v.encoding, v.rowLength % t.blockSize != 0 {
                    throw Failure("parameter '\(v.name)': row of \(v.rowLength) is not a whole number of \(t.name) blocks")
                }
            }
            declared[v.name] = v
        }
        for name in graph.inputs + graph.outputs where declared[name] == nil {
            throw Failure("graph \(graph.graphID): input/output '\(name)' is not a declared variable")
        }

        // Values available so far: parameters and graph inputs; each operator must only read what is available,
        // which also rules out cycles since operators run in the listed order.
        var available = Set(graph.variables.filter(\.isParameter).map(\.name)).union(graph.inputs)
        var producer: [String: String] = [:]
        var names = Set<String>()
        for node in graph.operators {
            guard names.insert(node.name).inserted else { throw Failure("operator name '\(node.name)' is used twice") }
            try check(node, against: declared)
            for (port, vars) in node.inputs.sorted(by: { $0.key < $1.key }) {
                for v in vars where !available.contains(v) {
                    if producer[v] == nil && graph.operators.contains(where: { $0.outputs.values.contains { $0.contains(v) } }) {
                        throw Failure("operator '\(node.name)': input '\(port)' reads '\(v)' before it is produced (a cycle or wrong order)")
                    }
                    throw Failure("operator '\(node.name)': input '\(port)' reads '\(v)', which nothing produces")
                }
            }
            for vars in node.outputs.values {
                for v in vars {
                    if let other = producer[v] { throw Failure("operator '\(node.name)': '\(v)' is already produced by '\(other)'") }
                    if declared[v]?.isParameter == true { throw Failure("operator '\(node.name)': writes parameter '\(v)'") }
                    producer[v] = node.name
                    available.insert(v)
                }
            }
        }
        for name in graph.outputs where !available.contains(name) {
            throw Failure("graph \(graph.graphID): output '\(name)' is never produced")
        }
    }

    /// Ports and attributes of one node against its schema.
    func check(_ node: OperatorNode, against declared: [String: VariableNode]) throws {
        guard let schema = catalogue[node.type] else {
            throw Failure("operator '\(node.name)': unknown operator type '\(node.type)'")
        }
        try checkPorts(node.inputs, schema.inputs, node: node, direction: "input")
        try checkPorts(node.outputs, schema.outputs, node: node, direction: "output")
        for vars in Array(node.inputs.values) + Array(node.outputs.values) {
            for v in vars where declared[v] == nil {
                throw Failure("operator '\(node.name)': variable '\(v)' is not declared")
            }
        }
        for (name, value) in node.attributes.sorted(by: { $0.key < $1.key }) {
            guard let spec = schema.attributes.first(where: { $0.name == name }) else {
                throw Failure("operator '\(node.name)' (\(node.type)): unknown attribute '\(name)'")
            }
            let compatible = value.kind == spec.kind || (spec.kind == .float && value.kind == .int)
            guard compatible else {
                throw Failure("operator '\(node.name)' (\(node.type)): attribute '\(name)' must be \(spec.kind.rawValue), is \(value.kind.rawValue)")
            }
        }
        for spec in schema.attributes where spec.isRequired && node.attributes[spec.name] == nil {
            throw Failure("operator '\(node.name)' (\(node.type)): missing required attribute '\(spec.name)'")
        }
        try ShapeRules.check(node, schema: schema, declared: declared)
    }

    private func checkPorts(_ bound: [String: [String]], _ ports: [OperatorSchema.Port], node: OperatorNode, direction: String) throws {
        for port in ports {
            let vars = bound[port.name] ?? []
            if vars.isEmpty && !port.optional {
                throw Failure("operator '\(node.name)' (\(node.type)): missing \(direction) '\(port.name)'")
            }
            if vars.count > 1 && !port.variadic {
                throw Failure("operator '\(node.name)' (\(node.type)): \(direction) '\(port.name)' takes one variable, has \(vars.count)")
            }
        }
        for name in bound.keys.sorted() where !ports.contains(where: { $0.name == name }) {
            throw Failure("operator '\(node.name)' (\(node.type)): unknown \(direction) '\(name)'")
        }
    }

    private func checkParentChainsTerminate(_ graphs: [ComputationGraph]) throws {
        let parent = Dictionary(graphs.map { ($0.graphID, $0.parentGraphID) }, uniquingKeysWith: { a, _ in a })
        for g in graphs {
            var seen: Set<Int> = [g.graphID]
            var id = g.parentGraphID
            while id != -1 {
                guard seen.insert(id).inserted else { throw Failure("graph \(g.graphID): parent_graph_id chain loops") }
                id = parent[id] ?? -1
            }
        }
    }
}
