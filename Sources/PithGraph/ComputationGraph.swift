/// A computation graph: operator nodes over variable nodes (GB/T 42382.2 §6.1, Table 2).
///
/// The main graph has `parentGraphID == -1`; sub-graphs (fused regions, loops, conditions) name their parent.
public struct ComputationGraph: Codable, Sendable, Equatable {
    public var graphID: Int
    public var parentGraphID: Int
    /// The graph whose backward this is, or -1.
    public var forwardGraphID: Int
    /// Operators in execution order.
    public var operators: [OperatorNode]
    public var variables: [VariableNode]
    /// Variables fed from outside (token ids, positions …).
    public var inputs: [String]
    /// Variables handed back to the caller (logits, hidden states …).
    public var outputs: [String]

    public init(graphID: Int = 0, parentGraphID: Int = -1, forwardGraphID: Int = -1,
                operators: [OperatorNode] = [], variables: [VariableNode] = [],
                inputs: [String] = [], outputs: [String] = []) {
        self.graphID = graphID
        self.parentGraphID = parentGraphID
        self.forwardGraphID = forwardGraphID
        self.operators = operators
        self.variables = variables
        self.inputs = inputs
        self.outputs = outputs
    }

    enum CodingKeys: String, CodingKey {
        case operators, variables, inputs, outputs
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
