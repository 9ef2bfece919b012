import PithGraph

/// Hyper-parameters of a Llama-family decoder, as Hugging Face's config.json names them.
public struct LlamaConfiguration: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int?
    public var headDim: Int?
    public var rmsNormEps: Double = 1e-6
    public var ropeTheta: Double = 10_000
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int = 2048
    public var tieWordEmbeddings: Bool = false
    public var attentionBias: Bool = false

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", vocabSize = "vocab_size"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias"
    }

    public init(hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                numKeyValueHeads: Int? = nil, headDim: Int? = nil, rmsNormEps: Double = 1e-6, ropeTheta: Double = 10_000,
                vocabSize: Int, maxPositionEmbeddings: Int = 2048, tieWordEmbeddings: Bool = false, attentionBias: Bool = false) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim)
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10_000
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
    }

    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    public var resolvedHeadDim: Int { headDim ?? hiddenSize / max(numAttentionHeads, 1) }

    /// The largest width, head count or head size accepted (the graph validator's bound on heads and head sizes), so
    /// products such as heads · head_dim and vocab · hidden stay far inside `Int`.
    public static let maxDimension = 1 << 24

    /// Throws naming the first key whose value cannot describe a model.
    public func validate() throws {
        func need(_ ok: Bool, _ key: String, _ value: Int) throws {
            if !ok { throw ModelError.badConfiguration("\(key) = \(value) is invalid") }
        }
        let sizes = 1...Self.maxDimension
        try need(sizes.contains(hiddenSize), "hidden_size", hiddenSize)
        try need(sizes.contains(intermediateSize), "intermediate_size", intermediateSize)
        try need(numHiddenLayers > 0 && numHiddenLayers <= 1024, "num_hidden_layers", numHiddenLayers)
        try need(sizes.contains(numAttentionHeads), "num_attention_heads", numAttentionHeads)
        try need(sizes.contains(kvHeads) && numAttentionHeads % kvHeads == 0, "num_key_value_heads", kvHeads)
        try need(sizes.contains(resolvedHeadDim) && resolvedHeadDim % 2 == 0, "head_dim", resolvedHeadDim)
        try need(vocabSize > 0 && vocabSize <= Int(Int32.max), "vocab_size", vocabSize)
        try need(sizes.contains(maxPositionEmbeddings), "max_position_embeddings", maxPositionEmbeddings)
        // A NaN or negative epsilon or rope base builds a graph that runs and prints garbage.
        for (key, value) in [("rms_norm_eps", rmsNormEps), ("rope_theta", ropeTheta)] where !(value.isFinite && value > 0) {
            throw ModelError.badConfiguration("\(key) = \(value) is invalid: must be finite and > 0")
        }
    }
}

/// Builds the Llama decoder graph: embedding → N × (RMSNorm, GQA attention with RoPE, RMSNorm, SwiGLU FFN) → RMSNorm → logits.
public struct LlamaBuilder: Sendable {
    public let config: LlamaConfiguration
    /// GGUF files store q/k rows permuted for interleaved rotation; Hugging Face checkpoints rotate half-split.
    public let ropeMode: String

    public init(config: LlamaConfiguration, ropeMode: String) {
        self.config = config
        self.ropeMode = ropeMode
    }

    /// The decoder graph; `encoding(name)` says how each parameter is stored.
    public func build(encoding: (String) -> Encoding) -> ComputationGraph {
        let c = config
        let dim = c.hiddenSize, hd = c.resolvedHeadDim
        let qDim = c.numAttentionHeads * hd, kvDim = c.kvHeads * hd
        var g = GraphBuilder()
        g.input("token_ids", shape: [-1], type: .i32)
        g.input("positions", shape: [-1], type: .i32)
        g.input("output_rows", shape: [-1], type: .i32)

        let embd = g.parameter("token_embd.weight", [c.vocabSize, dim], encoding)
        var x = g.op("embedding", "embed", ["ids": "token_ids", "weight": embd], features: dim)
        for i in 0..<c.numHiddenLayers {
            let p = "blk.\(i)."
            // Attention block (pre-norm, residual).
            let hNorm = g.op("rms_norm", p + "attn_norm", ["input": x, "weight": g.parameter(p + "attn_norm.weight", [dim], encoding)],
                             features: dim, attributes: ["epsilon": .float(c.rmsNormEps)])
            let q = linear(&g, p + "attn_q", hNorm, out: qDim, inFeatures: dim, bias: c.attentionBias, encoding)
            let k = linear(&g, p + "attn_k", hNorm, out: kvDim, inFeatures: dim, bias: c.attentionBias, encoding)
            let v = linear(&g, p + "attn_v", hNorm, out: kvDim, inFeatures: dim, bias: c.attentionBias, encoding)
            let rope: [String: Attribute] = ["head_dim": .int(hd), "rotary_dims": .int(hd), "base": .float(c.ropeTheta), "mode": .string(ropeMode)]
            let qr = g.op("rope", p + "rope_q", ["input": q, "positions": "positions"], features: qDim,
                          attributes: rope.merging(["heads": .int(c.numAttentionHeads)]) { a, _ in a })
            let kr = g.op("rope", p + "rope_k", ["input": k, "positions": "positions"], features: kvDim,
                          attributes: rope.merging(["heads": .int(c.kvHeads)]) { a, _ in a })
            let att = g.op("attention", p + "attention", ["query": qr, "key": kr, "value": v], features: qDim,
                           attributes: ["heads": .int(c.numAttentionHeads), "kv_heads": .int(c.kvHeads), "head_dim": .int(hd),
                                        "causal": .bool(true), "scale": .float(1 / Double(hd).squareRoot())])
            let o = linear(&g, p + "attn_output", att, out: dim, inFeatures: qDim, bias: false, encoding)
            x = g.op("add", p + "attn_residual", ["a": x, "b": o], features: dim)
            // Feed-forward block: SwiGLU.
            let fNorm = g.op("rms_norm", p + "ffn_norm", ["input": x, "weight": g.parameter(p + "ffn_norm.weight", [dim], encoding)],
                             features: dim, attributes: ["epsilon": .float(c.rmsNormEps)])
            let gate = linear(&g, p + "ffn_gate", fNorm, out: c.intermediateSize, inFeatures: dim, bias: false, encoding)
            let up = linear(&g, p + "ffn_up", fNorm, out: c.intermediateSize, inFeatures: dim, bias: false, encoding)
            let act = g.op("silu", p + "ffn_silu", ["input": gate], features: c.intermediateSize)
            let prod = g.op("mul", p + "ffn_mul", ["a": act, "b": up], features: c.intermediateSize)
            let down = linear(&g, p + "ffn_down", prod, out: dim, inFeatures: c.intermediateSize, bias: false, encoding)
            x = g.op("add", p + "ffn_residual", ["a": x, "b": down], features: dim)
        }
        // Only the rows whose logits are wanted go through the final norm and the vocabulary projection.
        let rows = g.op("gather_rows", "select_output_rows", ["input": x, "indices": "output_rows"], features: dim)
        let norm = g.op("rms_norm", "output_norm", ["input": rows, "weight": g.parameter("output_norm.weight", [dim], encoding)],
                        features: dim, attributes: ["epsilon": .float(c.rmsNormEps)])
        let head = c.tieWordEmbeddings ? embd : g.parameter("output.weight", [c.vocabSize, dim], encoding)
        let logits = g.op("linear", "output", ["input": norm, "weight": head], features: c.vocabSize, outputName: "logits")
        g.output(logits)
        var graph = g.graph
        graph.name = "decoder"
        graph.role = .main
        return graph
    }

    private func linear(_ g: inout GraphBuilder, _ name: String, _ input: String, out: Int, inFeatures: Int, bias: Bool,
                        _ encoding: (String) -> Encoding) -> String {
        var inputs = ["input": input, "weight": g.parameter(name + ".weight", [out, inFeatures], encoding)]
        if bias { inputs["bias"] = g.parameter(name + ".bias", [out], encoding) }
        return g.op("linear", name, inputs, features: out)
    }
}
