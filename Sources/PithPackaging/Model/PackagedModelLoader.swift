import Foundation
import PithGraph
import PithModels
import PithTensor
import PithTokenizers

/// Loads a model straight from a package (§8.3.2 "ready to run"): its graph from `structure.json`, its weights from the
/// tensor data — borrowed from the memory mapping when the section is stored plain, decoded once otherwise.
public enum PackagedModelLoader {
    /// Model `index` of the package; every section it reads is checked against its SHA-256 first.
    public static func load(_ reader: PackageReader, model index: Int = 0, decryption: PackageDecryption? = nil) throws -> Model {
        guard reader.models.indices.contains(index) else {
            throw PackageFileError(path: reader.url.path, error: .missing("no model \(index) (the package has \(reader.models.count))"))
        }
        let header = reader.models[index]
        func wrap<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch let e as PackageError { throw PackageFileError(path: reader.url.path, error: e) }
        }
        let structureSection = reader.sections[Int(header.structureSection)].name
        let structureData = try reader.section(Int(header.structureSection), decryption: decryption)
        let structure: ModelStructure
        do {
            structure = try RepresentationCodec().import(structureData.data, file: structureSection)
        } catch {
            throw PackageFileError(path: reader.url.path, error: .malformed("section '\(structureSection)'", "\(error)"))
        }
        let indexName = reader.sections[Int(header.tensorIndexSection)].name
        let tensorIndex = try wrap { try TensorIndex.decode(try reader.section(Int(header.tensorIndexSection), decryption: decryption).data, file: indexName) }
        let data = try reader.section(Int(header.tensorDataSection), decryption: decryption)
        try wrap { try tensorIndex.validate(dataSize: data.bytes.count, file: indexName) }
        var weights = Weights()
        for entry in tensorIndex.tensors where entry.parameter {
            guard let base = data.bytes.baseAddress else { break }
            weights[entry.name] = TensorData(borrowing: UnsafeRawBufferPointer(start: base + entry.offset, count: entry.size), owner: data.owner)
        }
        var config: PackagedModelConfig?
        if header.configSection != ModelHeader.none {
            let bytes = try reader.section(Int(header.configSection), decryption: decryption)
            config = try? JSONDecoder().decode(PackagedModelConfig.self, from: bytes.data)
        }
        var tokenizer: (any Tokenizer)?
        if header.tokenizerSection != ModelHeader.none {
            let json = try reader.section(Int(header.tokenizerSection), decryption: decryption)
            let configName = "Model/\(index)/tokenizer_config.json"
            let tokenizerConfig = try reader.index(of: configName).map { try reader.section($0, decryption: decryption).data }
            tokenizer = try loadTokenizer(tokenizerJSONData: json.data, configData: tokenizerConfig,
                                          file: reader.sections[Int(header.tokenizerSection)].name)
        }
        let shell = Model(structure: structure, weights: weights, tokenizer: tokenizer, source: reader.url,
                          contextLength: config?.contextLength ?? 2048)
        // Checks every parameter the graph names is present with exactly its encoded size.
        do {
            return try shell.replacingStructure(with: structure)
        } catch {
            throw PackageFileError(path: reader.url.path, error: .malformed("model \(index)", "\(error)"))
        }
    }
}
