import Testing
@testable import PithGraph

@Test func layerKeysComeFromNames() {
    let cases: [(String, String)] = [
        ("blk.12.attn_q.weight", "blk.12"), ("blk.0.ffn_down", "blk.0"), ("blk.3.attention.out", "blk.3"),
        ("model.layers.7.mlp.up_proj.weight", "model.layers.7"),
        ("encoder.layer.5.attention.self.query.weight", "encoder.layer.5"),
        ("bert.encoder.layer.11.output.dense.bias", "bert.encoder.layer.11"),
        ("decoder.layers.2.self_attn.k_proj.weight", "decoder.layers.2"), ("transformer.h.4.attn.c_attn.weight", "transformer.h.4"),
        ("token_embd.weight", "embedding"), ("embed", "embedding"), ("model.embed_tokens.weight", "embedding"),
        ("embeddings.word_embeddings.weight", "embedding"), ("embeddings.LayerNorm.weight", "embedding"),
        ("output_norm.weight", "output"), ("output.weight", "output"), ("output", "output"), ("select_output_rows", "output"),
        ("lm_head.weight", "output"), ("model.norm.weight", "output"), ("pooler.dense.weight", "output"),
        ("positions", "other"), ("layers.x.weight", "other"), ("blk", "other"),
    ]
    for (name, key) in cases { #expect(LayerKey.of(name) == key, "\(name)") }
}

/// Two blocks over a tied table: blk.0 causal attention with a cache, blk.1 full attention without one.
func layeredGraph(vocab: Int = 16, dim: Int = 32) -> ComputationGraph {
    func v(_ name: String, _ shape: [Int], parameter: Bool = false, encoding: Encoding? = nil) -> VariableNode {
        VariableNode(name: name, elementType: name == "ids" ? .i32 : .f32, shape: shape, isParameter: parameter, encoding: encoding)
    }
    func op(_ type: String, _ name: String, _ inputs: [String: String], _ out: String, _ attributes: [String: Attribute] = [:]) -> OperatorNode {
        OperatorNode(type: type, name: name, inputs: inputs.mapValues { [$0] }, outputs: ["output": [out]], attributes: attributes)
    }
    var variables = [v("ids", [-1]), v("token_embd.weight", [vocab, dim], parameter: true, encoding: .ggml(.q8_0)), v("x", [-1, dim])]
    var operators = [op("embedding", "embed", ["ids": "ids", "weight": "token_embd.weight"], "x")]
    var x = "x"
    for (l, causal) in [(0, true), (1, false)] {
        let p = "blk.\(l)."
        variables += [v(p + "q.weight", [dim, dim], parameter: true), v(p + "q.bias", [dim], parameter: true),
                      v(p + "q.out", [-1, dim]), v(p + "att.out", [-1, dim])]
        operators += [op("linear", p + "q", ["input": x, "weight": p + "q.weight", "bias": p + "q.bias"], p + "q.out"),
                      op("attention", p + "att", ["query": p + "q.out", "key": p + "q.out", "value": p + "q.out"], p + "att.out",
                         ["heads": .int(2), "kv_heads": .int(2), "head_dim": .int(dim / 2), "causal": .bool(causal), "cache": .bool(causal)])]
        x = p + "att.out"
    }
    variables += [v("logits", [-1, vocab])]
    operators += [op("linear", "output", ["input": x, "weight": "token_embd.weight"], "logits")]
    return ComputationGraph(operators: operators, variables: variables, inputs: ["ids"], outputs: ["logits"])
}

@Test func statisticsArePerLayerAndSumToTheTotal() throws {
    let vocab = 16, dim = 32
    let g = layeredGraph(vocab: vocab, dim: dim)
    try GraphValidator().validate(g)
    let stats = GraphStatistics(graph: g)
    #expect(stats.perLayer.map(\.layer) == ["embedding", "blk.0", "blk.1", "output"])
    let layers = Dictionary(uniqueKeysWithValues: stats.perLayer.map { ($0.layer, $0) })
    let embedding = try #require(layers["embedding"]), b0 = try #require(layers["blk.0"])
    let b1 = try #require(layers["blk.1"]), output = try #require(layers["output"])

    // The tied table counts once, in the embedding; its use by the output projection costs FLOPs there.
    #expect(embedding.parameters == vocab * dim && embedding.bytes == vocab * dim / 32 * 34)
    #expect(output.parameters == 0 && output.linearFLOPsPerToken == 2 * vocab * dim)
    #expect(stats.parameters == vocab * dim + 2 * (dim * dim + dim))
    #expect(stats.parameters == stats.perLayer.reduce(0) { $0 + $1.parameters })
    #expect(stats.bytes == stats.perLayer.reduce(0) { $0 + $1.bytes })
    #expect(stats.bytesByEncoding == ["Q8_0": vocab * dim / 32 * 34, "f32": 2 * (dim * dim + dim) * 4])

    // Linear: 2·in·out plus the bias; attention: 2·2·heads·head_dim per context token.
    #expect(b0.linearFLOPsPerToken == 2 * dim * dim + dim)
    #expect(b0.causalAttentionFLOPsPerContextToken == 4 * dim && b0.fullAttentionFLOPsPerContextToken == 0)
    #expect(b1.fullAttentionFLOPsPerContextToken == 4 * dim && b1.causalAttentionFLOPsPerContextToken == 0)
    #expect(b0.kvCacheElementsPerToken == 2 * dim && b1.kvCacheElementsPerToken == 0)

    // Prefill of n: the causal triangle n(n+1)/2 in blk.0, the full square n² in blk.1; decode at n attends n+1.
    let n = 10
    #expect(b0.prefillFLOPs(tokens: n) == (2 * dim * dim + dim) * n + 4 * dim * n * (n + 1) / 2)
    #expect(b1.prefillFLOPs(tokens: n) == (2 * dim * dim + dim) * n + 4 * dim * n * n)
    #expect(b0.decodeFLOPs(position: n) == 2 * dim * dim + dim + 4 * dim * (n + 1))
    #expect(b0.kvCacheBytes(context: n) == 2 * dim * 4 * n)

    let report = stats.report(context: n)
    #expect(report.total.prefillFLOPs == report.perLayer.reduce(0) { $0 + $1.prefillFLOPs })
    #expect(report.total.decodeFLOPs == report.perLayer.reduce(0) { $0 + $1.decodeFLOPs })
    #expect(report.total.kvCacheBytes == b0.kvCacheBytes(context: n))
    #expect(report.total.prefillFLOPsPerToken == report.total.prefillFLOPs / n)
    #expect(stats.operatorCounts == ["embedding": 1, "linear": 3, "attention": 2])
}

@Test func statisticsNeverTrapOnHugeCounts() {
    var g = layeredGraph()
    g.variables[1].shape = [1 << 40, 1 << 20]
    let stats = GraphStatistics(graph: g)
    #expect(stats.parameters > 0)
    #expect(stats.total.prefillFLOPs(tokens: .max) == .max)
    #expect(stats.total.kvCacheBytes(context: .max) == .max)
}
