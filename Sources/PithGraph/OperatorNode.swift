/// An operator node: one operation and the variables it reads and writes (GB/T 42382.2 §6.1, Table 3).
public struct OperatorNode: Codable, Sendable, Equatable {
    /// The operator's type, a name in the operator catalogue (e.g. "linear").
    public var type: String
    /// A name unique within its graph.
    public var name: String
    /// Named input ports, each a list of variable names (`map<string, [VariableNode]>`).
    public var inputs: [String: [String]]
    /// Named output ports, each a list of variable names.
    public var outputs: [String: [String]]
    public var attributes: [String: Attribute]

    public init(type: String, name: String, inputs: [String: [String]], outputs: [String: [String]],
                attributes: [String: Attribute] = [:]) {
        self.type = type
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    enum CodingKeys: String, CodingKey { case type, name, inputs, outputs, attributes }

    /// Reads a node; `attributes` may be left out when there are none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        type = try c.decode(String.self, forKey: .type)
        name = try c.decode(String.self, forKey: .name)
        inputs = try c.decode([String: [String]].self, forKey: .inputs)
        outputs = try c.decode([String: [String]].self, forKey: .outputs)
        attributes = try c.decodeIfPresent([String: Attribute].self, forKey: .attributes) ?? [:]
    }

    /// The single variable bound to an input port, if exactly one is.
    public func input(_ port: String) -> String? {
        guard let names = inputs[port], names.count == 1 else { return nil }
        return names[0]
    }

    /// The single variable bound to an output port, if exactly one is.
    public func output(_ port: String) -> String? {
        guard let names = outputs[port], names.count == 1 else { return nil }
        return names[0]
    }
}
