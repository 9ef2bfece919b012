/// Groups node and parameter names into layers for per-layer reports, from tables rather than per-architecture code.
///
/// A name inside a repeated block keeps its path up to the block number: GGUF `blk.3.attn_q.weight` → `blk.3`,
/// Hugging Face `model.layers.3.mlp.up_proj.weight` → `model.layers.3`, BERT `encoder.layer.3.output.dense.weight` →
/// `encoder.layer.3`. Any other name falls into `embedding`, `output` or `other` by the first path component that
/// contains one of the group's words.
public enum LayerKey {
    /// Path components that, followed by a number, name a repeated block (GGUF, Llama/Mistral, BERT, GPT-2, ViT …).
    public static let blockWords: Set<String> = ["blk", "layers", "layer", "h", "blocks", "block"]

    /// Groups for names outside the blocks, tried in order on each path component in turn.
    public static let groups: [(name: String, words: [String])] = [
        ("embedding", ["embd", "embed", "wte", "wpe", "token_type", "rope_freqs"]),
        ("output", ["output", "lm_head", "norm", "ln_f", "pool", "logits", "classifier"]),
    ]

    /// The group of names matching nothing above.
    public static let other = "other"

    /// The layer a node or parameter belongs to.
    public static func of(_ name: String) -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        for (i, part) in parts.enumerated() where i + 1 < parts.count && blockWords.contains(String(part)) {
            if let n = Int(parts[i + 1]), n >= 0 { return parts[...(i + 1)].joined(separator: ".") }
        }
        for part in parts {
            let lower = part.lowercased()
            if let group = groups.first(where: { $0.words.contains { lower.contains($0) } }) { return group.name }
        }
        return other
    }
}
