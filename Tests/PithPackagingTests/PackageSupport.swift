import Foundation
import PithGraph
import PithModels
import PithTensor
@testable import PithPackaging

/// A tiny random Llama (one layer, f32) built in memory: a model with no source file, packed in the native layout.
func tinyModel(seed: UInt64 = 1) throws -> Model {
    let config = LlamaConfiguration(hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 1, numAttentionHeads: 2,
                                    numKeyValueHeads: 1, vocabSize: 24, maxPositionEmbeddings: 64, tieWordEmbeddings: true)
    let graph = LlamaBuilder(config: config, ropeMode: "half_split").build { _ in .dense(.f32) }
    var state = seed
    var weights = Weights()
    for v in graph.variables where v.isParameter {
        let n = v.elementCount ?? 0
        weights[v.name] = TensorData(floats: (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 4000
        })
    }
    let structure = ModelStructure(name: "tiny", architecture: "llama", family: .decoderOnly, origin: "test", graphs: [graph],
                                   metadata: ["general.license": "mit", "general.organization": "Pith tests", "general.version": "0.1"])
    return Model(structure: structure, weights: weights, tokenizer: nil, source: URL(fileURLWithPath: "/nonexistent/tiny"), contextLength: 64)
}

/// A fresh path in the temporary folder.
func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("pith-\(UUID().uuidString.prefix(8))-\(name)")
}

/// Opens, verifies and loads every model of the package at `url` (what a reader does before trusting it).
func openVerifyAndLoad(_ url: URL, decryption: PackageDecryption? = nil) throws {
    let reader = try PackageReader(url: url)
    _ = try reader.verify()
    for i in reader.models.indices { _ = try PackagedModelLoader.load(reader, model: i, decryption: decryption) }
}
