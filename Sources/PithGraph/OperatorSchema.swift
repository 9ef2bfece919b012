/// The schema of one operator: its ports and attributes (GB/T 42382.2 §6.2), used to validate a graph before it runs.
public struct OperatorSchema: Sendable {
    public enum Category: String, Sendable { case base, module, communication }

    /// A named input or output port.
    public struct Port: Sendable {
        public let name: String
        public let optional: Bool
        /// Whether the port takes a list of any length ≥ 1 (e.g. concat's inputs).
        public let variadic: Bool
        public init(_ name: String, optional: Bool = false, variadic: Bool = false) {
            self.name = name
            self.optional = optional
            self.variadic = variadic
        }
    }

    /// A declared attribute; `defaultValue == nil` means it is required.
    public struct AttributeSpec: Sendable {
        /// What a numeric attribute's value may be, beyond its kind (every float must also be finite).
        public enum Bound: String, Sendable {
            /// > 0: epsilons, rope bases.
            case positive = "> 0"
            /// ≥ 0: scales where 0 means "the default".
            case nonNegative = "≥ 0"

            func admits(_ value: Double) -> Bool {
                switch self {
                case .positive: value > 0
                case .nonNegative: value >= 0
                }
            }
        }

        public let name: String
        public let kind: Attribute.Kind
        public let defaultValue: Attribute?
        public let bound: Bound?
        public init(_ name: String, _ kind: Attribute.Kind, default defaultValue: Attribute? = nil, bound: Bound? = nil) {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            self.bound = bound
        }
        public var isRequired: Bool { defaultValue == nil }
    }

    public let type: String
    public let category: Category
    public let summary: String
    public let inputs: [Port]
    public let outputs: [Port]
    public let attributes: [AttributeSpec]

    public init(_ type: String, _ category: Category, _ summary: String,
                inputs: [Port], outputs: [Port] = [Port("output")], attributes: [AttributeSpec] = []) {
        self.type = type
        self.category = category
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// The attribute's value on `node`, or this schema's default.
    public func attribute(_ name: String, of node: OperatorNode) -> Attribute? {
        node.attributes[name] ?? attributes.first { $0.name == name }?.defaultValue
    }
}
