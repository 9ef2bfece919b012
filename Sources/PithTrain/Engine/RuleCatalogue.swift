/// The gradient rule of each operator type, as data beside the operator catalogue (GB/T 42382.2 §6.2):
/// adding an operator to training is one rule and one row here.
enum RuleCatalogue {
    static let rules: [String: any OperatorRule] = [
        "embedding": EmbeddingRule(),
        "gather_rows": GatherRowsRule(),
        "linear": LinearRule(),
        "rms_norm": RMSNormRule(),
        "layer_norm": LayerNormRule(),
        "l2_normalize": L2NormalizeRule(),
        "rope": RopeRule(),
        "attention": AttentionRule(),
        "softmax": SoftmaxRule(),
        "silu": UnaryRule(function: .silu),
        "gelu": UnaryRule(function: .gelu),
        "relu": UnaryRule(function: .relu),
        "tanh": UnaryRule(function: .tanh),
        "add": BinaryRule(function: .add),
        "mul": BinaryRule(function: .mul),
        "pooling": PoolingRule(),
        "reshape": IdentityRule(),
        "transpose": TransposeRule(),
        "concat": ConcatRule(),
        // Communication operators with nranks = 1 are the identity (send/recv pairs are not differentiated yet).
        "reduce": IdentityRule(),
        "allreduce": IdentityRule(),
        "reduce_scatter": IdentityRule(),
        "allgather": IdentityRule(),
        "broadcast": IdentityRule(),
    ]

    static func rule(for type: String) -> (any OperatorRule)? { rules[type] }
}
