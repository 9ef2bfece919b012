import Foundation
import PithFormats
import PithGraph
import PithTensor
import PithTokenizers

/// Builds a `Model` from a GGUF file: metadata → configuration → graph; tensors stay memory-mapped in their own encoding.
enum GGUFLoader {
    static func load(url: URL) throws -> Model {
        let file = try GGUFFile(url: url)
        let name = url.lastPathComponent
        guard let arch = file.string("general.architecture") else {
            throw ModelError.missingKey(file: url.path, key: "general.architecture")
        }
        switch arch {
        case "llama":
            return try loadLlama(file, url: url, name: name)
        default:
            throw ModelError.unsupportedArchitecture(file: url.path, architecture: arch)
        }
    }

    static func llamaConfiguration(_ file: GGUFFile) throws -> LlamaConfiguration {
        func need(_ key: String) throws -> Int {
            guard let v = file.int("llama." + key) else { throw ModelError.missingKey(file: file.url.path, key: "llama." + key) }
            return v
        }
        let vocab = file.int("llama.vocab_size") ?? file.metadata["tokenizer.ggml.tokens"]?.array?.count
            ?? file.tensor(named: "token_embd.weight")?.dimensions.last ?? 0
        let heads = try need("attention.head_count")
        let config = LlamaConfiguration(
            hiddenSize: try need("embedding_length"),
            intermediateSize: try need("feed_forward_length"),
            numHiddenLayers: try need("block_count"),
            numAttentionHeads: heads,
            numKeyValueHeads: file.int("llama.attention.head_count_kv") ?? heads,
            headDim: file.int("llama.attention.key_length"),
            rmsNormEps: file.double("llama.attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeTheta: file.double("llama.rope.freq_base") ?? 10_000,
            vocabSize: vocab,
            maxPositionEmbeddings: file.int("llama.context_length") ?? 2048,
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil)
        do { try config.validate() } catch let ModelError.badConfiguration(why) {
            throw ModelError.invalid(file: file.url.path, reason: why)
        }
        return config
    }

    static func loadLlama(_ file: GGUFFile, url: URL, name: String) throws -> Model {
        let config = try llamaConfiguration(file)
        let builder = LlamaBuilder(config: config, ropeMode: "interleaved")
        let graph = builder.build { tensorName in
            guard let info = file.tensor(named: tensorName) else { return .dense(.f32) }
            return info.type.scalarType.map(Encoding.dense) ?? .ggml(info.type)
        }
        let weights = try bindWeights(graph, file: file)
        var metadata: [String: String] = [:]
        for key in file.metadataKeys where !key.hasPrefix("tokenizer.ggml.") {
            if let value = file.metadata[key], let text = value.displayText { metadata[key] = text }
        }
        let structure = ModelStructure(
            name: file.string("general.name") ?? name, architecture: "llama", family: .decoderOnly,
            origin: name, graphs: [graph], metadata: metadata)
        let tokenizer = try? BPETokenizer(vocabulary: BPEVocabulary(gguf: file))
        return Model(structure: structure, weights: weights, tokenizer: tokenizer, source: url,
                     contextLength: config.maxPositionEmbeddings)
    }

    /// Every parameter of the graph, borrowed from the mapping after checking its shape and byte count.
    static func bindWeights(_ graph: ComputationGraph, file: GGUFFile) throws -> Weights {
        var weights = Weights()
        for v in graph.variables where v.isParameter {
            guard let info = file.tensor(named: v.name) else { throw ModelError.missingTensor(file: file.url.path, tensor: v.name) }
            let shape = Array(info.dimensions.reversed())
            guard shape == v.shape else {
                throw ModelError.shapeMismatch(file: file.url.path, tensor: v.name, expected: v.shape, found: shape)
            }
            weights[v.name] = file.data(for: info)
        }
        return weights
    }
}

extension GGUFValue {
    /// A one-line rendering of scalar metadata (arrays are summarised), for the structure's metadata.
    var displayText: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): String(b)
        case .float32(let f): String(f)
        case .float64(let d): String(d)
        case .array(let a): "[\(a.count) values]"
        default: int.map(String.init)
        }
    }
}
