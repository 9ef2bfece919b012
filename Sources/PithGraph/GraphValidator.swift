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
    ///
    /// With several graphs, a fault inside one is prefixed with its id (`graph 2: operator …`).
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
            if g.role == .main && g.parentGraphID != -1 {
                throw Failure("graph \(g.graphID): role main needs parent_graph_id -1, has \(g.parentGraphID)")
            }
            if g.role == .backward && g.forwardGraphID == -1 {
                throw Failure("graph \(g.graphID): role backward needs a forward_graph_id")
            }
        }
        try checkChainsTerminate(structure.graphs, link: "parent_graph_id", \.parentGraphID)
        try checkChainsTerminate(structure.graphs, link: "forward_graph_id", \.forwardGraphID)
        for g in structure.graphs {
            do { try validate(g) } catch let f as Failure where structure.graphs.count > 1 && !f.description.hasPrefix("graph ") {
                throw Failure("graph \(g.graphID): \(f.description)")
            }
        }
    }

    /// Validates one graph: declared variables, known operators, ports, attribute kinds, single producers, no cycles.
    public func validate(_ graph: ComputationGraph) throws {
        var declared: [String: VariableNode] = [:]
        var parameterElements = 0, parameterBytes = 0
        for v in graph.variables {
            guard declared[v.name] == nil else { throw Failure("variable '\(v.name)' is declared twice") }
            try checkShape(v)
            if v.isParameter {
                guard let n = v.elementCount else { throw Failure("parameter '\(v.name)' needs a static shape, has \(v.shape)") }
                if case .ggml(let t) = v.encoding, v.rowLength % t.blockSize != 0 {
                    throw Failure("parameter '\(v.name)': row of \(v.rowLength) is not a whole number of \(t.name) blocks")
                }
                if case .quantized(let scheme) = v.encoding, let why = scheme.problem(cols: v.rowLength) {
                    throw Failure("parameter '\(v.name)': \(why)")
                }
                guard let bytes = v.encoding.byteCount(shape: v.shape) else {
                    throw Failure("parameter '\(v.name)': \(v.shape) in \(v.encoding.name) has a byte size that overflows")
                }
                // Totals must fit too, so counting (GraphStatistics) and allocation never overflow.
                let (e, o1) = parameterElements.addingReportingOverflow(n)
                let (b, o2) = parameterBytes.addingReportingOverflow(bytes)
                guard !o1, !o2, e <= Self.maxParameterElements else {
                    throw Failure("parameter '\(v.name)': the graph's parameters total more than \(Self.maxParameterElements) elements")
                }
                (parameterElements, parameterBytes) = (e, b)
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
            // A NaN epsilon or a negative one runs and prints garbage; refuse it here, naming it.
            if spec.kind == .float, let x = value.double {
                guard x.isFinite, spec.bound?.admits(x) ?? true else {
                    throw Failure("operator '\(node.name)' (\(node.type)): attribute '\(name)' = \(x) must be finite\(spec.bound.map { " and \($0.rawValue)" } ?? "")")
                }
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

    /// At most 2^48 parameter elements per graph (a thousand times the largest published models), so that
    /// FLOPs and bytes derived from them stay far inside `Int`.
    public static let maxParameterElements = 1 << 48

    /// Dimensions are sizes (≥ 0) or -1 (dynamic), and the static ones multiply without overflow.
    private func checkShape(_ v: VariableNode) throws {
        var n = 1
        for d in v.shape {
            guard d >= -1 else {
                throw Failure("variable '\(v.name)' has a bad shape \(v.shape): a dimension is a size ≥ 0, or -1 when dynamic")
            }
            guard d >= 0 else { continue }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow else { throw Failure("variable '\(v.name)': shape \(v.shape) has more elements than fit in 64 bits") }
            n = p
        }
    }

    /// Following `link` from any graph reaches -1 without revisiting a graph (ids are known to exist).
    private func checkChainsTerminate(_ graphs: [ComputationGraph], link name: String, _ link: KeyPath<ComputationGraph, Int>) throws {
        let next = Dictionary(graphs.map { ($0.graphID, $0[keyPath: link]) }, uniquingKeysWith: { a, _ in a })
        for g in graphs {
            var seen: Set<Int> = [g.graphID]
            var id = g[keyPath: link]
            while id != -1 {
                guard seen.insert(id).inserted else { throw Failure("graph \(g.graphID): \(name) chain loops back to graph \(id)") }
                id = next[id] ?? -1
            }
        }
    }
}
