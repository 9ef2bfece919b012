import Foundation
import PithFormats
import PithGraph
import PithTensor
import PithTokenizers

/// Writes a Llama-family model as a Hugging Face folder (config.json, model.safetensors in f32, tokenizer files),
/// deriving the configuration from the graph itself, so any model Pith runs — from a GGUF, a package or a
/// compression pass — can be handed to Hugging Face tools.
public enum HuggingFaceExporter {
    /// The configuration the graph implies (the inverse of `LlamaBuilder`).
    public static func llamaConfiguration(of model: Model) throws -> (LlamaConfiguration, ropeMode: String) {
        guard model.structure.architecture == "llama", let g = model.structure.mainGraph else {
            throw ModelError.unsupportedArchitecture(file: model.source.path, architecture: model.structure.architecture)
        }
        let vars = g.variablesByName
        func shape(_ name: String) throws -> [Int] {
            guard let v = vars[name] else { throw ModelError.missingTensor(file: model.source.path, tensor: name) }
            return v.shape
        }
        let catalogue = OperatorCatalogue.standard
        guard let attention = g.operators.first(where: { $0.type == "attention" }), let rope = g.operators.first(where: { $0.type == "rope" }),
              let norm = g.operators.first(where: { $0.type == "rms_norm" }) else {
            throw ModelError.invalid(file: model.source.path, reason: "the graph lacks the attention, rope or rms_norm of a Llama block")
        }
        func attr(_ node: OperatorNode, _ name: String) -> Attribute? { catalogue[node.type]?.attribute(name, of: node) }
        let embedding = try shape("token_embd.weight")
        let layers = Set(g.variables.compactMap { v -> Int? in
            guard v.name.hasPrefix("blk.") else { return nil }
            return Int(v.name.dropFirst(4).prefix { $0 != "." })
        }).count
        let config = LlamaConfiguration(
            hiddenSize: embedding[1], intermediateSize: try shape("blk.0.ffn_up.weight")[0], numHiddenLayers: layers,
            numAttentionHeads: attr(attention, "heads")?.int ?? 0, numKeyValueHeads: attr(attention, "kv_heads")?.int,
            headDim: attr(attention, "head_dim")?.int, rmsNormEps: attr(norm, "epsilon")?.double ?? 1e-6,
            ropeTheta: attr(rope, "base")?.double ?? 10_000, vocabSize: embedding[0], maxPositionEmbeddings: model.contextLength,
            tieWordEmbeddings: vars["output.weight"] == nil, attentionBias: vars["blk.0.attn_q.bias"] != nil)
        try config.validate()
        return (config, attr(rope, "mode")?.string ?? "interleaved")
    }

    /// Writes `model` into `folder` (created if needed).
    public static func write(_ model: Model, to folder: URL) throws {
        let (config, ropeMode) = try llamaConfiguration(of: model)
        guard let graph = model.structure.mainGraph else { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] ?? [:]
        json["model_type"] = "llama"
        json["architectures"] = ["LlamaForCausalLM"]
        json["torch_dtype"] = "float32"
        try AtomicFileWriter.write(try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]),
                                   to: folder.appendingPathComponent("config.json"))
        var arrays: [(String, [Int], [Float])] = []
        for v in graph.variables where v.isParameter {
            guard let hf = WeightNames.llamaHuggingFaceName(graph: v.name), let data = model.weights[v.name], let n = v.elementCount else { continue }
            var values: [Float]
            if let type = v.encoding.ggmlType, type.canDequantize {
                values = try type.dequantize(data.bytes, count: n)
            } else {
                throw ModelError.invalid(file: model.source.path, reason: "no dequantizer for \(v.name) in \(v.encoding.name)")
            }
            // GGUF stores q/k rows permuted for interleaved rotation; Hugging Face expects the half-split order.
            if ropeMode == "interleaved", v.name.hasSuffix("attn_q.weight") || v.name.hasSuffix("attn_k.weight") {
                let heads = v.name.hasSuffix("attn_q.weight") ? config.numAttentionHeads : config.kvHeads
                values = unpermute(values, rows: v.shape[0], cols: v.shape[1], heads: heads)
            }
            arrays.append((hf, v.shape, values))
        }
        // Owned buffers whose bytes stay valid while `buffers` lives.
        let buffers = arrays.map { TensorData(floats: $0.2) }
        try withExtendedLifetime(buffers) {
            let tensors: [SafetensorsWriter.Tensor] = zip(arrays, buffers).map { a, b in (name: a.0, dtype: .f32, shape: a.1, data: b.bytes) }
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: folder.appendingPathComponent("model.safetensors"))
        }
        if let bpe = model.tokenizer as? BPETokenizer { try bpe.writeHuggingFaceFiles(to: folder) }
    }

    /// Undoes llama.cpp's q/k row permutation: GGUF row (h, i, j) with i < head_dim/2, j < 2 came from HF row (h, j, i).
    static func unpermute(_ w: [Float], rows: Int, cols: Int, heads: Int) -> [Float] {
        let headDim = rows / max(heads, 1), half = headDim / 2
        var out = [Float](repeating: 0, count: w.count)
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let ggufRow = h * headDim + i * 2 + j
                    let hfRow = h * headDim + j * half + i
                    for c in 0..<cols { out[hfRow * cols + c] = w[ggufRow * cols + c] }
                }
            }
        }
        return out
    }
}
