import Foundation
import PithFormats
import PithGraph
import PithTokenizers

// MARK: - BERT encoders, with sentence-transformers' pooling when the folder has it

extension HuggingFaceLoader {
    static func loadBert(folder: URL, configData: Data, configURL: URL) throws -> Model {
        let config = try decode(BertConfiguration.self, configData, file: configURL)
        do { try config.validate() } catch let ModelError.badConfiguration(why) {
            throw ModelError.invalid(file: configURL.path, reason: why)
        }
        let tensors = try SafetensorsCollection(url: folder)
        var byGraphName: [String: String] = [:]
        for name in tensors.tensorNames {
            if let graphName = WeightNames.bertGraphName(huggingFace: name) { byGraphName[graphName] = name }
        }
        let sentence = try SentenceTransformersConfig.read(folder: folder)
        let builder = BertBuilder(config: config, pooling: sentence.pooling,
                                  hasPooler: byGraphName["pooler.weight"] != nil && byGraphName["pooler.bias"] != nil)
        let graph = builder.build { encoding(of: $0, byGraphName, tensors) }
        let weights = try bind(graph, byGraphName, tensors, folder: folder, huggingFaceName: WeightNames.bertHuggingFaceName)
        let tokenizer = try folderTokenizer(folder)
        // Sequences are cut at sentence-transformers' max_seq_length when given, else at the position table's size.
        let maxLength = min(sentence.maxSequenceLength ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings)
        let structure = ModelStructure(name: folder.lastPathComponent, architecture: "bert", family: .encoderOnly,
                                       origin: folder.lastPathComponent, graphs: [graph],
                                       metadata: ["hidden_size": String(config.hiddenSize),
                                                  "num_hidden_layers": String(config.numHiddenLayers),
                                                  "max_sequence_length": String(maxLength),
                                                  "pooling": sentence.pooling.mode,
                                                  "normalize": String(sentence.pooling.normalize)])
        return Model(structure: structure, weights: weights, tokenizer: tokenizer, source: folder, contextLength: maxLength)
    }
}

/// The parts of a sentence-transformers folder that change the embedding: modules.json, the Pooling module's
/// config, a Normalize module, and sentence_bert_config.json's max_seq_length. All optional.
struct SentenceTransformersConfig {
    var pooling = SentencePooling()
    var maxSequenceLength: Int?

    private struct Module: Decodable { let path: String?; let type: String }
    private struct PoolingConfig: Decodable {
        let cls: Bool?, mean: Bool?, max: Bool?, meanSqrtLen: Bool?
        enum CodingKeys: String, CodingKey {
            case cls = "pooling_mode_cls_token", mean = "pooling_mode_mean_tokens"
            case max = "pooling_mode_max_tokens", meanSqrtLen = "pooling_mode_mean_sqrt_len_tokens"
        }
    }
    private struct BertConfig: Decodable {
        let maxSeqLength: Int?
        enum CodingKeys: String, CodingKey { case maxSeqLength = "max_seq_length" }
    }

    static func read(folder: URL) throws -> SentenceTransformersConfig {
        var result = SentenceTransformersConfig()
        let sbert = folder.appendingPathComponent("sentence_bert_config.json")
        if let data = FileManager.default.contents(atPath: sbert.path) {
            let config = try HuggingFaceLoader.decode(BertConfig.self, data, file: sbert)
            if let n = config.maxSeqLength {
                guard n > 0 else { throw ModelError.invalid(file: sbert.path, reason: "max_seq_length = \(n) is invalid") }
                result.maxSequenceLength = n
            }
        }
        let modulesURL = folder.appendingPathComponent("modules.json")
        guard let data = FileManager.default.contents(atPath: modulesURL.path) else { return result }
        let modules = try HuggingFaceLoader.decode([Module].self, data, file: modulesURL)
        result.pooling.normalize = modules.contains { $0.type.hasSuffix(".Normalize") }
        guard let poolingModule = modules.first(where: { $0.type.hasSuffix(".Pooling") }) else { return result }
        let poolingURL = folder.appendingPathComponent(poolingModule.path ?? "").appendingPathComponent("config.json")
        guard let poolingData = FileManager.default.contents(atPath: poolingURL.path) else {
            throw ModelError.notFound(poolingURL.path)
        }
        let p = try HuggingFaceLoader.decode(PoolingConfig.self, poolingData, file: poolingURL)
        let modes = [(p.cls, "cls"), (p.mean, "mean"), (p.max, "max"), (p.meanSqrtLen, "mean_sqrt_len")].filter { $0.0 == true }
        // sentence-transformers concatenates several modes; Pith builds one.
        guard modes.count == 1 else {
            throw ModelError.invalid(file: poolingURL.path, reason: "exactly one pooling mode must be on, found \(modes.count)")
        }
        result.pooling.mode = modes[0].1
        return result
    }
}
