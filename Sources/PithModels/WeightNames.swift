/// Hugging Face ↔ GGUF tensor names, in one table per architecture (graphs use the GGUF names).
public enum WeightNames {
    /// Per-layer suffixes: Hugging Face name after `model.layers.N.` → GGUF name after `blk.N.`.
    static let llamaLayer: [String: String] = [
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.bias": "attn_v.bias",
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    ]

    static let llamaGlobal: [String: String] = [
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    ]

    /// The graph (GGUF-style) name of a Hugging Face Llama tensor, or nil for tensors the graph does not use.
    public static func llamaGraphName(huggingFace name: String) -> String? {
        if let global = llamaGlobal[name] { return global }
        let prefix = "model.layers."
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]), layer >= 0 else { return nil }
        guard let suffix = llamaLayer[String(rest[rest.index(after: dot)...])] else { return nil }
        return "blk.\(layer).\(suffix)"
    }

    /// The Hugging Face name of a graph tensor (inverse of `llamaGraphName`).
    public static func llamaHuggingFaceName(graph name: String) -> String? {
        if let global = llamaGlobal.first(where: { $0.value == name }) { return global.key }
        guard name.hasPrefix("blk.") else { return nil }
        let rest = name.dropFirst(4)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
        let suffix = String(rest[rest.index(after: dot)...])
        guard let hf = llamaLayer.first(where: { $0.value == suffix }) else { return nil }
        return "model.layers.\(layer).\(hf.key)"
    }

    // MARK: - BERT

    /// Per-layer suffixes: Hugging Face name after `encoder.layer.N.` → GGUF name after `blk.N.`.
    static let bertLayer: [String: String] = [
        "attention.self.query.weight": "attn_q.weight", "attention.self.query.bias": "attn_q.bias",
        "attention.self.key.weight": "attn_k.weight", "attention.self.key.bias": "attn_k.bias",
        "attention.self.value.weight": "attn_v.weight", "attention.self.value.bias": "attn_v.bias",
        "attention.output.dense.weight": "attn_output.weight", "attention.output.dense.bias": "attn_output.bias",
        "attention.output.LayerNorm.weight": "attn_output_norm.weight", "attention.output.LayerNorm.bias": "attn_output_norm.bias",
        "intermediate.dense.weight": "ffn_up.weight", "intermediate.dense.bias": "ffn_up.bias",
        "output.dense.weight": "ffn_down.weight", "output.dense.bias": "ffn_down.bias",
        "output.LayerNorm.weight": "layer_output_norm.weight", "output.LayerNorm.bias": "layer_output_norm.bias",
    ]

    static let bertGlobal: [String: String] = [
        "embeddings.word_embeddings.weight": "token_embd.weight",
        "embeddings.position_embeddings.weight": "position_embd.weight",
        "embeddings.token_type_embeddings.weight": "token_types.weight",
        "embeddings.LayerNorm.weight": "token_embd_norm.weight",
        "embeddings.LayerNorm.bias": "token_embd_norm.bias",
        "pooler.dense.weight": "pooler.weight",
        "pooler.dense.bias": "pooler.bias",
    ]

    /// The graph name of a Hugging Face BERT tensor (a `bert.` prefix and TF-era `gamma`/`beta` accepted), or nil.
    public static func bertGraphName(huggingFace name: String) -> String? {
        var n = name.hasPrefix("bert.") ? String(name.dropFirst(5)) : name
        if n.hasSuffix("LayerNorm.gamma") { n = String(n.dropLast(5)) + "weight" }
        if n.hasSuffix("LayerNorm.beta") { n = String(n.dropLast(4)) + "bias" }
        if let global = bertGlobal[n] { return global }
        let prefix = "encoder.layer."
        guard n.hasPrefix(prefix) else { return nil }
        let rest = n.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]), layer >= 0 else { return nil }
        guard let suffix = bertLayer[String(rest[rest.index(after: dot)...])] else { return nil }
        return "blk.\(layer).\(suffix)"
    }

    /// The Hugging Face name of a BERT graph tensor (inverse of `bertGraphName`, without a `bert.` prefix).
    public static func bertHuggingFaceName(graph name: String) -> String? {
        if let global = bertGlobal.first(where: { $0.value == name }) { return global.key }
        guard name.hasPrefix("blk.") else { return nil }
        let rest = name.dropFirst(4)
        guard let dot = rest.firstIndex(of: "."), let layer = Int(rest[..<dot]) else { return nil }
        let suffix = String(rest[rest.index(after: dot)...])
        guard let hf = bertLayer.first(where: { $0.value == suffix }) else { return nil }
        return "encoder.layer.\(layer).\(hf.key)"
    }
}
