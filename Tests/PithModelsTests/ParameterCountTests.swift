import Foundation
import Testing
import PithFormats
import PithGraph
@testable import PithModels

/// The graph's parameter count against the source file's own tensor table: every tensor the graph uses, counted once.
func expectParameterCountMatchesFile(_ url: URL) throws {
    let file = try GGUFFile(url: url)
    let model = try Model.load(url.path)
    let graph = try #require(model.structure.mainGraph)
    let stats = GraphStatistics(graph: graph)
    let inFile = file.tensors.reduce(0) { $0 + $1.elementCount }
    #expect(stats.parameters == inFile)
    #expect(stats.bytes == file.tensors.reduce(0) { $0 + $1.byteCount })
    #expect(stats.perLayer.reduce(0) { $0 + $1.parameters } == inFile)
    // Every parameter of the graph is a tensor of the file, once.
    #expect(Set(graph.variables.filter(\.isParameter).map(\.name)) == Set(file.tensors.map(\.name)))
}

@Test func parameterCountOfASyntheticGGUFIsItsTensorTotal() throws {
    let url = try writeTinyLlamaGGUF()
    defer { try? FileManager.default.removeItem(at: url) }
    try expectParameterCountMatchesFile(url)
    // No output.weight: the output projection reads the embedding table, which counts once.
    let stats = GraphStatistics(graph: try #require(try Model.load(url.path).structure.mainGraph))
    #expect(stats.perLayer.map(\.layer) == ["embedding", "blk.0", "output"])
    #expect(stats.perLayer.first { $0.layer == "output" }?.parameters == 8)
    #expect(stats.perLayer.first { $0.layer == "output" }?.linearFLOPsPerToken == 2 * 12 * 8)
}

// SmolLM2's GGUF ties its output to token_embd.weight and has no output.weight, so the file's tensor total is the
// model's parameter count as the graph counts it.
@Test(.enabled(if: ModelLocator().path(ofAlias: "smollm2").map { FileManager.default.fileExists(atPath: $0.path) } ?? false,
               "SmolLM2 is not fetched: run `make models` (the test did not run)"))
func parameterCountOfSmolLM2IsItsTensorTotal() throws {
    let url = try #require(ModelLocator().path(ofAlias: "smollm2"))
    try expectParameterCountMatchesFile(url)
    let stats = GraphStatistics(graph: try #require(try Model.load(url.path).structure.mainGraph))
    #expect(stats.parameters == 134_515_008)
    #expect(stats.perLayer.count == 32)
}

// all-MiniLM-L6-v2's safetensors also hold `embeddings.position_ids`, an int64 buffer (0…511) that is not a weight:
// the graph's `positions` input carries it. Every floating-point tensor of the file is a parameter of the graph.
@Test(.enabled(if: ModelLocator().path(ofAlias: "minilm").map { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path) } ?? false,
               "all-MiniLM-L6-v2 is not fetched: run `make models` (the test did not run)"))
func parameterCountOfMiniLMIsItsWeightTotal() throws {
    let url = try #require(ModelLocator().path(ofAlias: "minilm"))
    let file = try SafetensorsCollection(url: url)
    let infos = file.tensorNames.compactMap { file.tensor(named: $0)?.info }
    let weights = infos.filter { $0.dtype.isFloatingPoint }
    #expect(infos.filter { !$0.dtype.isFloatingPoint }.map(\.name) == ["embeddings.position_ids"])
    let model = try Model.load(url.path)
    let stats = GraphStatistics(graph: try #require(model.structure.mainGraph))
    #expect(stats.parameters == weights.reduce(0) { $0 + $1.elementCount })
    #expect(stats.bytes == weights.reduce(0) { $0 + $1.byteCount })
    #expect(stats.parameters == 22_713_216)
    #expect(stats.perLayer.filter { $0.layer.hasPrefix("blk.") }.count == 6)
}
