import Foundation
import Testing
import PithFormats
import PithGraph
import PithModels
@testable import PithRuntime

/// A tiny random BERT written as a Hugging Face + sentence-transformers folder, run by Pith and by a plain-loop
/// reference forward written here (embeddings, post-norm blocks, erf GELU, masked mean pooling, L2 normalisation).
struct TinyBert {
    let config = BertConfiguration(hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                   layerNormEps: 1e-12, vocabSize: 20, maxPositionEmbeddings: 16, typeVocabSize: 2)
    /// Hugging Face name → (shape, values).
    var tensors: [String: ([Int], [Float])] = [:]

    init(seed: UInt64 = 5) {
        var state = seed
        func values(_ n: Int, scale: Float = 0.5) -> [Float] {
            (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000 * scale
            }
        }
        let d = config.hiddenSize, f = config.intermediateSize
        func put(_ name: String, _ shape: [Int], _ v: [Float]? = nil) { tensors[name] = (shape, v ?? values(shape.reduce(1, *))) }
        put("embeddings.word_embeddings.weight", [config.vocabSize, d])
        put("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, d])
        put("embeddings.token_type_embeddings.weight", [2, d])
        put("embeddings.LayerNorm.weight", [d], values(d, scale: 0.2).map { $0 + 1 })
        put("embeddings.LayerNorm.bias", [d])
        for l in 0..<config.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                put(p + part + ".weight", [d, d]); put(p + part + ".bias", [d])
            }
            put(p + "attention.output.LayerNorm.weight", [d], values(d, scale: 0.2).map { $0 + 1 })
            put(p + "attention.output.LayerNorm.bias", [d])
            put(p + "intermediate.dense.weight", [f, d]); put(p + "intermediate.dense.bias", [f])
            put(p + "output.dense.weight", [d, f]); put(p + "output.dense.bias", [d])
            put(p + "output.LayerNorm.weight", [d], values(d, scale: 0.2).map { $0 + 1 })
            put(p + "output.LayerNorm.bias", [d])
        }
    }

    func write(to folder: URL, configOverrides: [String: Any] = [:], pooling: [String: Bool] = ["pooling_mode_mean_tokens": true],
               omit: String? = nil) throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        json["model_type"] = "bert"
        for (k, v) in configOverrides { json[k] = v }
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))
        let modules: [[String: String]] = [["path": "", "type": "sentence_transformers.models.Transformer"],
                                           ["path": "1_Pooling", "type": "sentence_transformers.models.Pooling"],
                                           ["path": "2_Normalize", "type": "sentence_transformers.models.Normalize"]]
        try JSONSerialization.data(withJSONObject: modules).write(to: folder.appendingPathComponent("modules.json"))
        try JSONSerialization.data(withJSONObject: pooling).write(to: folder.appendingPathComponent("1_Pooling/config.json"))
        let arrays = tensors.filter { $0.key != omit }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
        try withTensors(arrays) { try SafetensorsWriter.write($0, to: folder.appendingPathComponent("model.safetensors")) }
    }

    // MARK: - Reference forward, one sequence at a time, in Double

    func referenceEmbedding(_ ids: [Int]) -> [Float] {
        let d = config.hiddenSize, heads = config.numAttentionHeads, hd = d / heads
        func t(_ name: String) -> [Double] { (tensors[name]?.1 ?? []).map(Double.init) }
        func linear(_ x: [[Double]], _ name: String) -> [[Double]] {
            let w = t(name + ".weight"), b = t(name + ".bias"), out = b.count, inF = w.count / out
            return x.map { row -> [Double] in
                (0..<out).map { o -> Double in
                    var sum = b[o]
                    for i in 0..<inF { sum += w[o * inF + i] * row[i] }
                    return sum
                }
            }
        }
        func norm(_ x: [[Double]], _ name: String) -> [[Double]] {
            let g = t(name + ".weight"), b = t(name + ".bias")
            return x.map { row in
                let mean = row.reduce(0, +) / Double(row.count)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
                return row.indices.map { (row[$0] - mean) / (variance + config.layerNormEps).squareRoot() * g[$0] + b[$0] }
            }
        }
        let words = t("embeddings.word_embeddings.weight"), pos = t("embeddings.position_embeddings.weight")
        let types = t("embeddings.token_type_embeddings.weight")
        var x = ids.enumerated().map { p, id -> [Double] in
            (0..<d).map { c -> Double in words[id * d + c] + pos[p * d + c] + types[c] }
        }
        x = norm(x, "embeddings.LayerNorm")
        for l in 0..<config.numHiddenLayers {
            let p = "encoder.layer.\(l)."
            let q = linear(x, p + "attention.self.query"), k = linear(x, p + "attention.self.key"), v = linear(x, p + "attention.self.value")
            var attended = [[Double]](repeating: [Double](repeating: 0, count: d), count: x.count)
            for h in 0..<heads {
                for i in x.indices {
                    let scores = x.indices.map { j -> Double in
                        var dot = 0.0
                        for c in 0..<hd { dot += q[i][h * hd + c] * k[j][h * hd + c] }
                        return dot / Double(hd).squareRoot()
                    }
                    let m = scores.max() ?? 0
                    let e = scores.map { Foundation.exp($0 - m) }, s = e.reduce(0, +)
                    for j in x.indices { for c in 0..<hd { attended[i][h * hd + c] += e[j] / s * v[j][h * hd + c] } }
                }
            }
            let o = linear(attended, p + "attention.output.dense")
            x = norm(zip(x, o).map { zip($0, $1).map(+) }, p + "attention.output.LayerNorm")
            let up = linear(x, p + "intermediate.dense").map { row in row.map { v -> Double in 0.5 * v * (1 + erf(v / 2.0.squareRoot())) } }
            let down = linear(up, p + "output.dense")
            x = norm(zip(x, down).map { zip($0, $1).map(+) }, p + "output.LayerNorm")
        }
        let mean = (0..<d).map { c -> Double in x.reduce(0.0) { $0 + $1[c] } / Double(x.count) }
        let length = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return mean.map { Float($0 / length) }
    }
}

@Suite struct TinyBertTests {
    func folder() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("tiny-bert-\(UUID().uuidString)") }

    @Test func paddedBatchesMatchTheReferenceForward() throws {
        let tiny = TinyBert()
        let dir = folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tiny.write(to: dir)
        let model = try Model.load(dir.path)
        #expect(model.structure.family == .encoderOnly)
        #expect(model.contextLength == 16)
        let sequences: [[Int32]] = [[1, 5, 9, 2], [1, 7, 2], [1, 3, 3, 3, 3, 3, 12, 2], [1, 2]]
        // Batched (padded to 8) and one by one must both equal the reference.
        for batchSize in [4, 1] {
            let embedder = try EmbeddingModel(model: model, batchSize: batchSize)
            let vectors = try embedder.embed(tokenized: sequences)
            for (ids, v) in zip(sequences, vectors) {
                let reference = tiny.referenceEmbedding(ids.map { Int($0) })
                #expect(zip(reference, v).allSatisfy { abs($0 - $1) < 1e-5 }, "\(ids) batch \(batchSize)")
            }
        }
    }

    @Test func maskWithHolesExcludesThoseKeys() throws {
        // A mask of 1 0 1 1 must equal running the sequence without the masked token, position ids kept.
        let tiny = TinyBert()
        let dir = folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try tiny.write(to: dir)
        let executor = try Executor(model: try Model.load(dir.path), maxRows: 8)
        let holes = try executor.run(inputs: ["token_ids": [1, 9, 5, 2], "token_type_ids": [0, 0, 0, 0], "positions": [0, 1, 2, 3],
                                              "attention_mask": [1, 0, 1, 1]], rows: 4)
        let full = try executor.run(inputs: ["token_ids": [1, 5, 2], "token_type_ids": [0, 0, 0], "positions": [0, 2, 3],
                                             "attention_mask": [1, 1, 1]], rows: 3)
        let a = try #require(holes["sentence_embedding"]).values, b = try #require(full["sentence_embedding"]).values
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func unsupportedConfigurationsAreNamed() throws {
        let tiny = TinyBert()
        let cases: [(overrides: [String: Any], pooling: [String: Bool], omit: String?, message: String)] = [
            (["hidden_act": "relu"], ["pooling_mode_mean_tokens": true], nil, "hidden_act"),
            (["position_embedding_type": "relative_key"], ["pooling_mode_mean_tokens": true], nil, "position_embedding_type"),
            (["num_attention_heads": 3], ["pooling_mode_mean_tokens": true], nil, "num_attention_heads"),
            ([:], ["pooling_mode_mean_tokens": true, "pooling_mode_cls_token": true], nil, "pooling mode"),
            ([:], ["pooling_mode_mean_tokens": true], "encoder.layer.1.output.dense.weight", "encoder.layer.1.output.dense.weight"),
        ]
        for c in cases {
            let dir = folder()
            defer { try? FileManager.default.removeItem(at: dir) }
            try tiny.write(to: dir, configOverrides: c.overrides, pooling: c.pooling, omit: c.omit)
            #expect { _ = try Model.load(dir.path) } throws: { "\($0)".contains(c.message) }
        }
    }
}
