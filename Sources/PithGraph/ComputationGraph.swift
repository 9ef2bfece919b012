/// A computation graph: operator nodes over variable nodes (GB/T 42382.2 §6.1, Table 2).
///
/// The main graph has `parentGraphID == -1`; sub-graphs (fused regions, loops, conditions) name their parent.
/// docs/REPRESENTATION.md describes the serialized form field by field.
public struct ComputationGraph: Codable, Sendable, Equatable {
    public var graphID: Int
    public var parentGraphID: Int
    /// The graph whose backward this is, or -1.
    public var forwardGraphID: Int
    /// A readable name ("decoder", "blk.3.attention"); optional, since format 1.1.
    public var name: String?
    /// What the graph is for (main, fused region, loop body …); optional, since format 1.1.
    public var role: Role?
    /// Operators in execution order.
    public var operators: [OperatorNode]
    public var variables: [VariableNode]
    /// Variables fed from outside (token ids, positions …).
    public var inputs: [String]
    /// Variables handed back to the caller (logits, hidden states …).
    public var outputs: [String]

    public init(graphID: Int = 0, parentGraphID: Int = -1, forwardGraphID: Int = -1, name: String? = nil, role: Role? = nil,
                operators: [OperatorNode] = [], variables: [VariableNode] = [],
                inputs: [String] = [], outputs: [String] = []) {
        self.graphID = graphID
        self.parentGraphID = parentGraphID
        self.forwardGraphID = forwardGraphID
        self.name = name
        self.role = role
        self.operators = operators
        self.variables = variables
        self.inputs = inputs
        self.outputs = outputs
    }

    enum CodingKeys: String, CodingKey {
        case name, role, operators, variables, inputs, outputs
        case graphID = "graph_id"
        case parentGraphID = "parent_graph_id"
        case forwardGraphID = "forward_graph_id"
    }

    /// The variable of that name, if declared.
    public func variable(named name: String) -> VariableNode? {
        variables.first { $0.name == name }
    }

    /// Variables by name (the last declaration wins; validation rejects duplicates).
    public var variablesByName: [String: VariableNode] {
        Dictionary(variables.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }
}

extension ComputationGraph {
    /// What a graph is for. An open set of names: a reader keeps a role it does not know, so a newer minor
    /// version can add roles without breaking older readers.
    public struct Role: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }

        /// The model's top-level graph (parent -1).
        public static let main = Role("main")
        /// A region of the parent fused into one unit (e.g. a transformer block).
        public static let fused = Role("fused")
        /// The body of a loop of the parent.
        public static let loopBody = Role("loop_body")
        /// One branch of a condition of the parent.
        public static let branch = Role("branch")
        /// The backward (gradient) graph of `forward_graph_id`.
        public static let backward = Role("backward")

        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(rawValue)
        }
    }
}
