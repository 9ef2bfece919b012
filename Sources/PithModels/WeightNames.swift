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
}
