import Foundation
import PithFormats
import PithGraph
import PithTensor
import PithTokenizers

/// Builds a `Model` from a Hugging Face folder: config.json, *.safetensors (or a sharded index), tokenizer.json.
enum HuggingFaceLoader {
    static func load(folder: URL) throws -> Model {
        let configURL = folder.appendingPathComponent("config.json")
        guard let configData = FileManager.default.contents(atPath: configURL.path) else {
            throw ModelError.notFound(configURL.path)
        }
        let probe = try decode(ArchitectureProbe.self, configData, file: configURL)
        switch probe.modelType {
        case "llama", "mistral":
            return try loadLlama(folder: folder, configData: configData, configURL: configURL)
        case "bert":
            return try loadBert(folder: folder, configData: configData, configURL: configURL)
        default:
            throw ModelError.unsupportedArchitecture(file: configURL.path, architecture: probe.modelType ?? "unknown")
        }
    }

    struct ArchitectureProbe: Decodable {
        let modelType: String?
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, file: URL) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch let DecodingError.keyNotFound(key, _) {
            throw ModelError.missingKey(file: file.path, key: key.stringValue)
        } catch {
            throw ModelError.invalid(file: file.path, reason: "not a valid configuration: \(error)")
        }
    }

    static func loadLlama(folder: URL, configData: Data, configURL: URL) throws -> Model {
        let config = try decode(LlamaConfiguration.self, configData, file: configURL)
        do { try config.validate() } catch let ModelError.badConfiguration(why) {
            throw ModelError.invalid(file: configURL.path, reason: why)
        }
        let tensors = try SafetensorsCollection(url: folder)
        var byGraphName: [String: String] = [:]
        for name in tensors.tensorNames {
            if let graphName = WeightNames.llamaGraphName(huggingFace: name) { byGraphName[graphName] = name }
        }
        // Hugging Face checkpoints keep q/k in the half-split rotary layout.
        let builder = LlamaBuilder(config: config, ropeMode: "half_split")
        let graph = builder.build { encoding(of: $0, byGraphName, tensors) }
        let weights = try bind(graph, byGraphName, tensors, folder: folder, huggingFaceName: WeightNames.llamaHuggingFaceName)
        let tokenizer = try folderTokenizer(folder)
        let structure = ModelStructure(name: folder.lastPathComponent, architecture: "llama", family: .decoderOnly,
                                       origin: folder.lastPathComponent, graphs: [graph],
                                       metadata: ["hidden_size": String(config.hiddenSize), "num_hidden_layers": String(config.numHiddenLayers)])
        return Model(structure: structure, weights: weights, tokenizer: tokenizer, source: folder,
                     contextLength: config.maxPositionEmbeddings)
    }

    // MARK: - Shared by every architecture

    /// A parameter's encoding: the dtype of the tensor it maps to (f32 when absent; binding then names it).
    static func encoding(of graphName: String, _ byGraphName: [String: String], _ tensors: SafetensorsCollection) -> Encoding {
        guard let hf = byGraphName[graphName], let found = tensors.tensor(named: hf) else { return .dense(.f32) }
        return .dense(found.info.dtype)
    }

    /// Every parameter of `graph`, borrowed from the safetensors mapping after checking its shape.
    static func bind(_ graph: ComputationGraph, _ byGraphName: [String: String], _ tensors: SafetensorsCollection, folder: URL,
                     huggingFaceName: (String) -> String?) throws -> Weights {
        var weights = Weights()
        for v in graph.variables where v.isParameter {
            guard let hf = byGraphName[v.name], let found = tensors.tensor(named: hf) else {
                throw ModelError.missingTensor(file: folder.path, tensor: huggingFaceName(v.name) ?? v.name)
            }
            guard found.info.shape == v.shape else {
                throw ModelError.shapeMismatch(file: folder.path, tensor: hf, expected: v.shape, found: found.info.shape)
            }
            weights[v.name] = found.data
        }
        return weights
    }

    /// The folder's tokenizer.json (with tokenizer_config.json), if it has one.
    static func folderTokenizer(_ folder: URL) throws -> (any Tokenizer)? {
        let url = folder.appendingPathComponent("tokenizer.json")
        return FileManager.default.fileExists(atPath: url.path) ? try loadTokenizer(tokenizerJSON: url) : nil
    }
}
