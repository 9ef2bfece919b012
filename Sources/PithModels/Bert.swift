import PithGraph

/// Hyper-parameters of a BERT encoder, as Hugging Face's config.json names them.
public struct BertConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var layerNormEps: Double = 1e-12
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int = 512
    public var typeVocabSize: Int = 2
    public var hiddenAct: String = "gelu"
    public var positionEmbeddingType: String = "absolute"

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case layerNormEps = "layer_norm_eps", vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case hiddenAct = "hidden_act", positionEmbeddingType = "position_embedding_type"
    }

    public init(hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, layerNormEps: Double = 1e-12,
                vocabSize: Int, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.layerNormEps = layerNormEps
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? 1e-12
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? 2
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "gelu"
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
    }

    public var headDim: Int { hiddenSize / max(numAttentionHeads, 1) }

    /// Throws naming the first key whose value cannot describe a model Pith runs.
    public func validate() throws {
        func need(_ ok: Bool, _ key: String, _ value: String) throws {
            if !ok { throw ModelError.badConfiguration("\(key) = \(value) is invalid") }
        }
        try need(hiddenSize > 0, "hidden_size", String(hiddenSize))
        try need(intermediateSize > 0, "intermediate_size", String(intermediateSize))
        try need(numHiddenLayers > 0 && numHiddenLayers <= 1024, "num_hidden_layers", String(numHiddenLayers))
        try need(numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0, "num_attention_heads", String(numAttentionHeads))
        try need(vocabSize > 0, "vocab_size", String(vocabSize))
        try need(maxPositionEmbeddings > 0, "max_position_embeddings", String(maxPositionEmbeddings))
        try need(typeVocabSize > 0, "type_vocab_size", String(typeVocabSize))
        try need(layerNormEps.isFinite && layerNormEps > 0, "layer_norm_eps", String(layerNormEps))
        // Only the erf GELU and absolute positions are built; anything else would run silently wrong.
        try need(hiddenAct == "gelu", "hidden_act", hiddenAct)
        try need(positionEmbeddingType == "absolute", "position_embedding_type", positionEmbeddingType)
    }
}

/// How sentence-transformers turns token states into one vector (its Pooling and Normalize modules).
public struct SentencePooling: Sendable, Equatable {
    /// "mean", "cls", "max" or "mean_sqrt_len".
    public var mode: String
    public var normalize: Bool

    public init(mode: String = "mean", normalize: Bool = false) {
        self.mode = mode
        self.normalize = normalize
    }
}

/// Builds the BERT encoder graph: word + position + token-type embeddings → LayerNorm → N × post-norm blocks
/// (attention with a padding mask, GELU FFN) → hidden states, the BERT pooler, and a pooled sentence embedding.
public struct BertBuilder: Sendable {
    public let config: BertConfiguration
    public let pooling: SentencePooling
    /// Whether the checkpoint has the pooler (tanh(W·h_CLS + b)) to build.
    public let hasPooler: Bool

    public init(config: BertConfiguration, pooling: SentencePooling, hasPooler: Bool) {
        self.config = config
        self.pooling = pooling
        self.hasPooler = hasPooler
    }

    /// The encoder graph; `encoding(name)` says how each parameter is stored. Names follow GGUF's BERT convention.
    public func build(encoding: (String) -> Encoding) -> ComputationGraph {
        let c = config
        let dim = c.hiddenSize, hd = c.headDim
        let eps: Attribute = .float(c.layerNormEps)
        var g = GraphBuilder()
        // Each input has one entry per row: batch·sequence, sequences right-padded to one length.
        g.input("token_ids", shape: [-1], type: .i32)
        g.input("token_type_ids", shape: [-1], type: .i32)
        g.input("positions", shape: [-1], type: .i32)
        g.input("attention_mask", shape: [-1], type: .i32)

        let words = g.op("embedding", "embed_tokens", ["ids": "token_ids", "weight": g.parameter("token_embd.weight", [c.vocabSize, dim], encoding)], features: dim)
        let positions = g.op("embedding", "embed_positions", ["ids": "positions", "weight": g.parameter("position_embd.weight", [c.maxPositionEmbeddings, dim], encoding)], features: dim)
        let types = g.op("embedding", "embed_token_types", ["ids": "token_type_ids", "weight": g.parameter("token_types.weight", [c.typeVocabSize, dim], encoding)], features: dim)
        let sum = g.op("add", "embed_sum", ["a": words, "b": positions], features: dim)
        let embedded = g.op("add", "embed_sum_types", ["a": sum, "b": types], features: dim)
        var x = layerNorm(&g, "token_embd_norm", embedded, dim: dim, eps: eps, encoding)

        for i in 0..<c.numHiddenLayers {
            let p = "blk.\(i)."
            let q = linear(&g, p + "attn_q", x, out: dim, inFeatures: dim, encoding)
            let k = linear(&g, p + "attn_k", x, out: dim, inFeatures: dim, encoding)
            let v = linear(&g, p + "attn_v", x, out: dim, inFeatures: dim, encoding)
            let att = g.op("attention", p + "attention", ["query": q, "key": k, "value": v, "mask": "attention_mask"], features: dim,
                           attributes: ["heads": .int(c.numAttentionHeads), "kv_heads": .int(c.numAttentionHeads), "head_dim": .int(hd),
                                        "causal": .bool(false), "cache": .bool(false), "scale": .float(1 / Double(hd).squareRoot())])
            let o = linear(&g, p + "attn_output", att, out: dim, inFeatures: dim, encoding)
            let r1 = g.op("add", p + "attn_residual", ["a": x, "b": o], features: dim)
            x = layerNorm(&g, p + "attn_output_norm", r1, dim: dim, eps: eps, encoding)
            let up = linear(&g, p + "ffn_up", x, out: c.intermediateSize, inFeatures: dim, encoding)
            let act = g.op("gelu", p + "ffn_gelu", ["input": up], features: c.intermediateSize)
            let down = linear(&g, p + "ffn_down", act, out: dim, inFeatures: c.intermediateSize, encoding)
            let r2 = g.op("add", p + "ffn_residual", ["a": x, "b": down], features: dim)
            let last = i == c.numHiddenLayers - 1
            x = layerNorm(&g, p + "layer_output_norm", r2, dim: dim, eps: eps, encoding, outputName: last ? "hidden_states" : nil)
        }
        g.output(x)

        if hasPooler {
            let cls = g.op("pooling", "pooler_cls", ["input": "hidden_states"], features: dim, attributes: ["mode": .string("cls")])
            let dense = linear(&g, "pooler", cls, out: dim, inFeatures: dim, encoding)
            let pooled = g.op("tanh", "pooler_tanh", ["input": dense], features: dim, outputName: "pooled_output")
            g.output(pooled)
        }
        var sentence = g.op("pooling", "sentence_pooling", ["input": "hidden_states", "mask": "attention_mask"], features: dim,
                            attributes: ["mode": .string(pooling.mode)], outputName: pooling.normalize ? nil : "sentence_embedding")
        if pooling.normalize {
            sentence = g.op("l2_normalize", "sentence_normalize", ["input": sentence], features: dim, outputName: "sentence_embedding")
        }
        g.output(sentence)
        var graph = g.graph
        graph.name = "encoder"
        graph.role = .main
        return graph
    }

    private func layerNorm(_ g: inout GraphBuilder, _ name: String, _ input: String, dim: Int, eps: Attribute,
                           _ encoding: (String) -> Encoding, outputName: String? = nil) -> String {
        g.op("layer_norm", name, ["input": input, "weight": g.parameter(name + ".weight", [dim], encoding),
                                  "bias": g.parameter(name + ".bias", [dim], encoding)],
             features: dim, attributes: ["epsilon": eps, "begin_norm_axis": .int(-1)], outputName: outputName)
    }

    private func linear(_ g: inout GraphBuilder, _ name: String, _ input: String, out: Int, inFeatures: Int,
                        _ encoding: (String) -> Encoding) -> String {
        g.op("linear", name, ["input": input, "weight": g.parameter(name + ".weight", [out, inFeatures], encoding),
                              "bias": g.parameter(name + ".bias", [out], encoding)], features: out)
    }
}
