/// The catalogue of operators Pith knows (GB/T 42382.2 §6.2), as data.
public struct OperatorCatalogue: Sendable {
    public let schemas: [String: OperatorSchema]

    public init(_ schemas: [OperatorSchema]) {
        self.schemas = Dictionary(schemas.map { ($0.type, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public subscript(type: String) -> OperatorSchema? { schemas[type] }

    /// Every operator the executor and validator know.
    public static let standard = OperatorCatalogue(baseOperators + moduleOperators + communicationOperators)

    private typealias S = OperatorSchema
    private typealias P = OperatorSchema.Port
    private typealias A = OperatorSchema.AttributeSpec

    // MARK: - Base operators
    static let baseOperators: [OperatorSchema] = [
        S("embedding", .base, "Looks up rows of a table by integer id.",
          inputs: [P("ids"), P("weight")]),
        S("linear", .base, "y = x·Wᵀ (+ b); W is (out_features, in_features).",
          inputs: [P("input"), P("weight"), P("bias", optional: true)]),
        S("rms_norm", .base, "x / sqrt(mean(x²) + ε) · γ over the last axis.",
          inputs: [P("input"), P("weight")], attributes: [A("epsilon", .float, default: .float(1e-6), bound: .positive)]),
        S("layer_norm", .base, "(x − mean) / sqrt(var + ε) · γ + β over the axes from begin_norm_axis.",
          inputs: [P("input"), P("weight", optional: true), P("bias", optional: true)],
          attributes: [A("epsilon", .float, default: .float(1e-5), bound: .positive), A("begin_norm_axis", .int, default: .int(-1))]),
        S("rope", .base, "Rotary position embedding of (tokens, heads·head_dim) at the given positions.",
          inputs: [P("input"), P("positions")],
          attributes: [A("heads", .int), A("head_dim", .int), A("rotary_dims", .int, default: .int(0)),
                       A("base", .float, default: .float(10000), bound: .positive), A("mode", .string, default: .string("interleaved"))]),
        // mask: an integer graph input, one entry per row (batch·sequence), 1 = a real token, 0 = padding (keys never attended).
        // cache: true keeps keys and values across calls (decoding); false attends within each call's sequences only.
        S("attention", .base, "Scaled dot-product attention with grouped KV heads, an optional padding mask and a KV cache.",
          inputs: [P("query"), P("key"), P("value"), P("mask", optional: true)],
          attributes: [A("heads", .int), A("kv_heads", .int), A("head_dim", .int),
                       A("causal", .bool, default: .bool(true)), A("scale", .float, default: .float(0), bound: .nonNegative),
                       A("cache", .bool, default: .bool(true))]),
        S("softmax", .base, "Softmax over the last axis.", inputs: [P("input")]),
        S("silu", .base, "x·σ(x).", inputs: [P("input")]),
        S("gelu", .base, "x·Φ(x) (erf form).", inputs: [P("input")]),
        S("relu", .base, "max(x, 0).", inputs: [P("input")]),
        S("tanh", .base, "Hyperbolic tangent.", inputs: [P("input")]),
        S("add", .base, "Elementwise sum.", inputs: [P("a"), P("b")]),
        S("mul", .base, "Elementwise product.", inputs: [P("a"), P("b")]),
        S("gather_rows", .base, "Selects rows (tokens) by index, e.g. the positions whose logits are wanted.",
          inputs: [P("input"), P("indices")]),
        S("reshape", .base, "Same elements, new shape.", inputs: [P("input")], attributes: [A("shape", .ints)]),
        S("transpose", .base, "Permutes axes.", inputs: [P("input")], attributes: [A("perm", .ints)]),
        S("concat", .base, "Joins inputs along an axis.", inputs: [P("inputs", variadic: true)],
          attributes: [A("axis", .int, default: .int(-1))]),
        // Pith additions for encoders (sentence-transformers' Pooling and Normalize modules); not named in §6.2.
        S("pooling", .base, "One row per sequence from its tokens: mean, cls (first token), max or mean_sqrt_len, padding excluded.",
          inputs: [P("input"), P("mask", optional: true)], attributes: [A("mode", .string, default: .string("mean"))]),
        S("l2_normalize", .base, "Scales each row to unit Euclidean length.", inputs: [P("input")],
          attributes: [A("epsilon", .float, default: .float(1e-12), bound: .positive)]),
    ]

    // MARK: - Module operators (the standard's composite blocks)
    static let moduleOperators: [OperatorSchema] = [
        S("mha", .module, "Multi-head attention: Q/K/V projections, attention and the output projection (ModuleExpansion lowers it).",
          inputs: [P("input"), P("wq"), P("wk"), P("wv"), P("wo"), P("mask", optional: true),
                   P("bq", optional: true), P("bk", optional: true), P("bv", optional: true), P("bo", optional: true)],
          attributes: [A("N_heads", .int), A("kv_heads", .int, default: .int(0)), A("causal", .bool, default: .bool(true)),
                       A("cache", .bool, default: .bool(true)), A("scale", .float, default: .float(0), bound: .nonNegative)]),
        S("ffn", .module, "Feed-forward block: up (and gate) projection, activation, down projection (ModuleExpansion lowers it).",
          inputs: [P("input"), P("w_up"), P("w_down"), P("w_gate", optional: true), P("b_up", optional: true), P("b_down", optional: true)],
          attributes: [A("activation", .string, default: .string("gelu"))]),
    ]

    // MARK: - Communication operators (single-process semantics until a distributed engine runs them)
    static let communicationOperators: [OperatorSchema] = [
        S("reduce", .communication, "Sums a tensor across ranks onto root.", inputs: [P("input")],
          attributes: [A("root_id", .int, default: .int(0)), A("nranks", .int, default: .int(1))]),
        S("allreduce", .communication, "Sums a tensor across ranks onto every rank.", inputs: [P("input")],
          attributes: [A("nranks", .int, default: .int(1))]),
        S("reduce_scatter", .communication, "Sums across ranks, each rank keeps one slice.", inputs: [P("input")],
          attributes: [A("nranks", .int, default: .int(1))]),
        S("allgather", .communication, "Concatenates every rank's tensor on every rank.", inputs: [P("input")],
          attributes: [A("nranks", .int, default: .int(1))]),
        S("broadcast", .communication, "Copies root's tensor to every rank.", inputs: [P("input")],
          attributes: [A("root_id", .int, default: .int(0)), A("nranks", .int, default: .int(1))]),
        S("send", .communication, "Sends a tensor to a peer rank.", inputs: [P("input")], outputs: [],
          attributes: [A("peer", .int)]),
        S("recv", .communication, "Receives a tensor from a peer rank.", inputs: [], outputs: [P("output")],
          attributes: [A("peer", .int), A("shape", .ints)]),
    ]
}
