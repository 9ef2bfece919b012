/// Sizes and costs of a graph, per layer and in total: parameters, bytes by encoding, FLOPs, KV-cache size.
///
/// FLOPs count the matrix work, which dominates a transformer:
/// - a matrix multiply through a weight of (out, in): 2·in·out per token, plus `out` for a bias
///   (`linear`, and the weights of the module operators `mha` and `ffn`);
/// - attention: QKᵀ and AV, 2·2·heads·head_dim per token per context token it attends to. A prefill of N tokens
///   attends over the causal triangle, N(N+1)/2 pairs, when the attention is causal, and over N² pairs otherwise;
///   a decode step at position N attends over N + 1 tokens (the cache and itself).
///
/// Excluded, each O(d) per token or O(heads) per context token: norms, activations, residual adds, RoPE, the softmax
/// and scaling of attention scores, and the embedding lookup (a copy, no arithmetic).
///
/// A prefill counts every token through every operator, the output projection included (as when every row's logits
/// are wanted, e.g. for perplexity); generation that gathers only the last row skips N − 1 of those projections.
public struct GraphStatistics: Codable, Sendable, Equatable {
    /// The whole graph (layer "total"); a parameter shared by two operators (a tied table) counts once.
    public var total: LayerStatistics
    /// One entry per layer (`LayerKey`), in the order the operators first touch them.
    public var perLayer: [LayerStatistics]

    enum CodingKeys: String, CodingKey {
        case total
        case perLayer = "per_layer"
    }

    /// Counts `graph`, grouping names into layers with `layerKey`.
    public init(graph: ComputationGraph, layerKey: (String) -> String = LayerKey.of) {
        let variables = graph.variablesByName
        let catalogue = OperatorCatalogue.standard
        var order: [String] = []
        var layers: [String: LayerStatistics] = [:]
        func touch(_ key: String) {
            if layers[key] == nil {
                layers[key] = LayerStatistics(layer: key)
                order.append(key)
            }
        }

        for node in graph.operators {
            let key = layerKey(node.name)
            touch(key)
            for names in node.inputs.values {
                for name in names where variables[name]?.isParameter == true { touch(layerKey(name)) }
            }
            layers[key]?.add(node, schema: catalogue[node.type], variables: variables)
        }
        var total = LayerStatistics(layer: "total")
        for v in graph.variables where v.isParameter {
            let key = layerKey(v.name)
            touch(key)
            layers[key]?.add(parameter: v)
            total.add(parameter: v)
        }
        for key in order { if let layer = layers[key] { total.add(costsOf: layer) } }
        self.total = total
        perLayer = order.compactMap { layers[$0] }
    }

    // MARK: - Totals, for callers that want one number

    public var parameters: Int { total.parameters }
    public var bytes: Int { total.bytes }
    public var bytesByEncoding: [String: Int] { total.bytesByEncoding }
    public var parametersByEncoding: [String: Int] { total.parametersByEncoding }
    public var operatorCounts: [String: Int] { total.operatorCounts }
    /// Bits per parameter, scales and all.
    public var bitsPerParameter: Double { parameters == 0 ? 0 : Double(bytes) * 8 / Double(parameters) }

    /// The statistics with their costs evaluated at a context of `context` tokens, for reports.
    public func report(context: Int) -> Report {
        Report(context: context, total: Row(total, context: context), perLayer: perLayer.map { Row($0, context: context) })
    }
}

// MARK: - One layer

/// Sizes and per-token cost coefficients of one layer (or of the whole graph).
public struct LayerStatistics: Codable, Sendable, Equatable {
    /// The layer's key (`blk.3`, `embedding`, `output`, `total` …).
    public var layer: String
    /// Parameter elements.
    public var parameters = 0
    /// Bytes the parameters occupy in their encodings.
    public var bytes = 0
    /// Parameter elements per encoding name ("Q4_1": …).
    public var parametersByEncoding: [String: Int] = [:]
    /// Bytes per encoding name.
    public var bytesByEncoding: [String: Int] = [:]
    public var operatorCounts: [String: Int] = [:]
    /// Matrix-multiply FLOPs per token through weights (2·in·out, plus the bias adds).
    public var linearFLOPsPerToken = 0
    /// Attention FLOPs per query token per context token, for causal attention (2·2·heads·head_dim per operator).
    public var causalAttentionFLOPsPerContextToken = 0
    /// The same, for attention over the whole sequence (encoders).
    public var fullAttentionFLOPsPerContextToken = 0
    /// Key and value elements cached per token (2·kv_heads·head_dim per attention that keeps a cache).
    public var kvCacheElementsPerToken = 0

    public init(layer: String) { self.layer = layer }

    enum CodingKeys: String, CodingKey {
        case layer, parameters, bytes
        case parametersByEncoding = "parameters_by_encoding"
        case bytesByEncoding = "bytes_by_encoding"
        case operatorCounts = "operator_counts"
        case linearFLOPsPerToken = "linear_flops_per_token"
        case causalAttentionFLOPsPerContextToken = "causal_attention_flops_per_context_token"
        case fullAttentionFLOPsPerContextToken = "full_attention_flops_per_context_token"
        case kvCacheElementsPerToken = "kv_cache_elements_per_token"
    }

    /// Bytes per cached key or value element: the executor's cache holds f32.
    public static let kvCacheBytesPerElement = 4

    /// FLOPs to prefill `tokens` tokens from an empty cache.
    public func prefillFLOPs(tokens n: Int) -> Int {
        let n = max(n, 0)
        let triangle = n.saturatingMultiply(n.saturatingAdd(1)) / 2
        return linearFLOPsPerToken.saturatingMultiply(n)
            .saturatingAdd(causalAttentionFLOPsPerContextToken.saturatingMultiply(triangle))
            .saturatingAdd(fullAttentionFLOPsPerContextToken.saturatingMultiply(n.saturatingMultiply(n)))
    }

    /// FLOPs to decode one token at position `position` (0-based), attending over `position + 1` tokens.
    public func decodeFLOPs(position: Int) -> Int {
        let attended = max(position, 0).saturatingAdd(1)
        return linearFLOPsPerToken.saturatingAdd(
            causalAttentionFLOPsPerContextToken.saturatingAdd(fullAttentionFLOPsPerContextToken).saturatingMultiply(attended))
    }

    /// Bytes of the KV cache holding `context` tokens.
    public func kvCacheBytes(context: Int) -> Int {
        kvCacheElementsPerToken.saturatingMultiply(Self.kvCacheBytesPerElement).saturatingMultiply(max(context, 0))
    }

    // MARK: Accumulation

    mutating func add(parameter v: VariableNode) {
        let n = v.elementCount ?? 0
        let b = v.encoding.byteCount(shape: v.shape) ?? 0
        parameters = parameters.saturatingAdd(n)
        bytes = bytes.saturatingAdd(b)
        parametersByEncoding[v.encoding.name, default: 0] = parametersByEncoding[v.encoding.name, default: 0].saturatingAdd(n)
        bytesByEncoding[v.encoding.name, default: 0] = bytesByEncoding[v.encoding.name, default: 0].saturatingAdd(b)
    }

    /// Weight ports that are matrix multiplies, by operator type; a weight of (out, in) costs 2·in·out per token.
    static let matrixPorts: [String: [String]] = [
        "linear": ["weight"],
        "mha": ["wq", "wk", "wv", "wo"],
        "ffn": ["w_up", "w_gate", "w_down"],
    ]

    mutating func add(_ node: OperatorNode, schema: OperatorSchema?, variables: [String: VariableNode]) {
        operatorCounts[node.type, default: 0] += 1
        for port in Self.matrixPorts[node.type] ?? [] {
            guard let w = node.input(port).flatMap({ variables[$0] }), let n = w.elementCount else { continue }
            linearFLOPsPerToken = linearFLOPsPerToken.saturatingAdd(n.saturatingMultiply(2))
        }
        if node.type == "linear", let b = node.input("bias").flatMap({ variables[$0] })?.elementCount {
            linearFLOPsPerToken = linearFLOPsPerToken.saturatingAdd(b)
        }
        let attribute = { (name: String) in schema?.attribute(name, of: node) }
        switch node.type {
        case "attention":
            let heads = attribute("heads")?.int ?? 0, kvHeads = attribute("kv_heads")?.int ?? 0
            let headDim = attribute("head_dim")?.int ?? 0
            addAttention(width: heads.saturatingMultiply(headDim), causal: attribute("causal")?.bool ?? true)
            if attribute("cache")?.bool ?? true {
                kvCacheElementsPerToken = kvCacheElementsPerToken.saturatingAdd(kvHeads.saturatingMultiply(headDim).saturatingMultiply(2))
            }
        case "mha":
            // Query width is wq's output features, cached key width wk's.
            let width = node.input("wq").flatMap { variables[$0]?.shape.first } ?? 0
            addAttention(width: max(width, 0), causal: attribute("causal")?.bool ?? true)
            if attribute("cache")?.bool ?? true, let kv = node.input("wk").flatMap({ variables[$0]?.shape.first }) {
                kvCacheElementsPerToken = kvCacheElementsPerToken.saturatingAdd(max(kv, 0).saturatingMultiply(2))
            }
        default:
            break
        }
    }

    private mutating func addAttention(width: Int, causal: Bool) {
        let flops = width.saturatingMultiply(4)
        if causal {
            causalAttentionFLOPsPerContextToken = causalAttentionFLOPsPerContextToken.saturatingAdd(flops)
        } else {
            fullAttentionFLOPsPerContextToken = fullAttentionFLOPsPerContextToken.saturatingAdd(flops)
        }
    }

    /// Adds another layer's operator counts and cost coefficients (not its parameters, which `total` counts once).
    mutating func add(costsOf other: LayerStatistics) {
        for (type, n) in other.operatorCounts { operatorCounts[type, default: 0] += n }
        linearFLOPsPerToken = linearFLOPsPerToken.saturatingAdd(other.linearFLOPsPerToken)
        causalAttentionFLOPsPerContextToken = causalAttentionFLOPsPerContextToken.saturatingAdd(other.causalAttentionFLOPsPerContextToken)
        fullAttentionFLOPsPerContextToken = fullAttentionFLOPsPerContextToken.saturatingAdd(other.fullAttentionFLOPsPerContextToken)
        kvCacheElementsPerToken = kvCacheElementsPerToken.saturatingAdd(other.kvCacheElementsPerToken)
    }
}

// MARK: - Reports at a context length

extension GraphStatistics {
    /// Statistics with their costs at one context length: what `pith inspect` prints and `--json` writes.
    public struct Report: Encodable, Sendable {
        /// The context the costs assume: a prefill of `context` tokens, a decode at position `context`.
        public let context: Int
        public let total: Row
        public let perLayer: [Row]
        enum CodingKeys: String, CodingKey { case context, total, perLayer = "per_layer" }
    }

    /// One layer's statistics and its costs at the report's context, written as one flat JSON object.
    public struct Row: Encodable, Sendable {
        public let statistics: LayerStatistics
        /// FLOPs to prefill `context` tokens, in total and per token.
        public let prefillFLOPs: Int
        public let prefillFLOPsPerToken: Int
        /// FLOPs to decode one token at position `context`.
        public let decodeFLOPs: Int
        /// KV-cache bytes at `context` tokens.
        public let kvCacheBytes: Int

        init(_ s: LayerStatistics, context: Int) {
            statistics = s
            prefillFLOPs = s.prefillFLOPs(tokens: context)
            prefillFLOPsPerToken = context > 0 ? prefillFLOPs / context : 0
            decodeFLOPs = s.decodeFLOPs(position: context)
            kvCacheBytes = s.kvCacheBytes(context: context)
        }

        enum CodingKeys: String, CodingKey {
            case prefillFLOPs = "prefill_flops", prefillFLOPsPerToken = "prefill_flops_per_token"
            case decodeFLOPs = "decode_flops", kvCacheBytes = "kv_cache_bytes"
        }

        public func encode(to encoder: any Encoder) throws {
            try statistics.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(prefillFLOPs, forKey: .prefillFLOPs)
            try c.encode(prefillFLOPsPerToken, forKey: .prefillFLOPsPerToken)
            try c.encode(decodeFLOPs, forKey: .decodeFLOPs)
            try c.encode(kvCacheBytes, forKey: .kvCacheBytes)
        }
    }
}

// MARK: - Arithmetic that cannot trap on hostile sizes

extension Int {
    func saturatingAdd(_ other: Int) -> Int {
        let (r, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : r
    }

    func saturatingMultiply(_ other: Int) -> Int {
        let (r, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? .max : .min) : r
    }
}
