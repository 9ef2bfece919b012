/// Sizes and costs of a graph: parameters, bytes by encoding, FLOPs per token.
public struct GraphStatistics: Codable, Sendable, Equatable {
    /// Parameter elements (a tied table counts once).
    public var parameters: Int
    /// Bytes the parameters occupy in their encodings.
    public var bytes: Int
    /// Bytes per encoding name ("Q4_1": …).
    public var bytesByEncoding: [String: Int]
    /// Parameter elements per encoding name.
    public var parametersByEncoding: [String: Int]
    /// Multiply-adds ×2 per token through weights (linear layers and the embedding lookup excluded).
    public var weightFLOPsPerToken: Int
    /// Attention FLOPs per token per token of context (QKᵀ and AV), to scale by the context length.
    public var attentionFLOPsPerContextToken: Int
    /// KV-cache floats per token of context.
    public var kvCacheFloatsPerToken: Int
    public var operatorCounts: [String: Int]

    enum CodingKeys: String, CodingKey {
        case parameters, bytes
        case bytesByEncoding = "bytes_by_encoding"
        case parametersByEncoding = "parameters_by_encoding"
        case weightFLOPsPerToken = "weight_flops_per_token"
        case attentionFLOPsPerContextToken = "attention_flops_per_context_token"
        case kvCacheFloatsPerToken = "kv_cache_floats_per_token"
        case operatorCounts = "operator_counts"
    }

    /// Bits per parameter, scales and all.
    public var bitsPerParameter: Double { parameters == 0 ? 0 : Double(bytes * 8) / Double(parameters) }

    /// FLOPs to process one token that attends over `context` tokens.
    public func flopsPerToken(context: Int) -> Int { weightFLOPsPerToken + attentionFLOPsPerContextToken * context }

    public init(graph: ComputationGraph) {
        let vars = graph.variablesByName
        var params = 0, bytes = 0
        var bytesBy: [String: Int] = [:], paramsBy: [String: Int] = [:]
        for v in graph.variables where v.isParameter {
            let n = v.elementCount ?? 0
            let b = v.encoding.byteCount(elements: n) ?? 0
            params += n
            bytes += b
            bytesBy[v.encoding.name, default: 0] += b
            paramsBy[v.encoding.name, default: 0] += n
        }
        var weightFLOPs = 0, attentionFLOPs = 0, kvFloats = 0
        var counts: [String: Int] = [:]
        let catalogue = OperatorCatalogue.standard
        for node in graph.operators {
            counts[node.type, default: 0] += 1
            switch node.type {
            case "linear":
                if let w = node.input("weight").flatMap({ vars[$0] }), let n = w.elementCount { weightFLOPs += 2 * n }
            case "attention":
                let schema = catalogue["attention"]
                let heads = schema?.attribute("heads", of: node)?.int ?? 0
                let kvHeads = schema?.attribute("kv_heads", of: node)?.int ?? 0
                let headDim = schema?.attribute("head_dim", of: node)?.int ?? 0
                attentionFLOPs += 2 * 2 * heads * headDim
                kvFloats += 2 * kvHeads * headDim
            default:
                break
            }
        }
        self.parameters = params
        self.bytes = bytes
        self.bytesByEncoding = bytesBy
        self.parametersByEncoding = paramsBy
        self.weightFLOPsPerToken = weightFLOPs
        self.attentionFLOPsPerContextToken = attentionFLOPs
        self.kvCacheFloatsPerToken = kvFloats
        self.operatorCounts = counts
    }
}
