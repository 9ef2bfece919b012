import Foundation
import Testing
import PithGraph
import PithModels
import PithTensor
@testable import PithRuntime

/// Logits of a prefill of `tokens` followed by one decode step per `decode` token, all rows, concatenated.
func runLogits(_ model: Model, prefill tokens: [Int32], decode: [Int32] = []) throws -> [Float] {
    let executor = try Executor(model: model, maxRows: max(tokens.count, 1))
    let state = executor.makeState(capacity: tokens.count + decode.count)
    let n = tokens.count
    var values = try #require(try executor.run(inputs: ["token_ids": tokens, "positions": (0..<n).map { Int32($0) },
                                                        "output_rows": (0..<n).map { Int32($0) }], rows: n, state: state)["logits"]).values
    for (i, token) in decode.enumerated() {
        let out = try executor.run(inputs: ["token_ids": [token], "positions": [Int32(n + i)], "output_rows": [0]], rows: 1, state: state)
        values += try #require(out["logits"]).values
    }
    return values
}

/// Export → import → bind to the same weights: the imported model must compute the very same bits,
/// and exporting what was imported must give the very same bytes.
func checkRoundTrip(_ model: Model, prefill: [Int32], decode: [Int32]) throws {
    let codec = RepresentationCodec()
    let json = try codec.export(model.structure)
    let imported = try codec.import(json, file: "round-trip.graph.json")
    #expect(imported == model.structure)
    #expect(try codec.export(imported) == json)
    let rebound = try model.replacingStructure(with: imported)
    let a = try runLogits(model, prefill: prefill, decode: decode)
    let b = try runLogits(rebound, prefill: prefill, decode: decode)
    #expect(a.count == b.count && !a.isEmpty)
    #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
}

func tinyModel(_ tiny: TinyLlama) -> Model {
    Model(structure: tiny.structure, weights: tiny.weights, tokenizer: nil, source: URL(fileURLWithPath: "/tiny-llama.gguf"),
          contextLength: tiny.config.maxPositionEmbeddings)
}

@Test(arguments: [GGMLType.f32, .q4_1])
func importedTinyLlamaComputesIdenticalLogits(linearType: GGMLType) throws {
    let tiny = try TinyLlama(seed: 3, linearType: linearType)
    try checkRoundTrip(tinyModel(tiny), prefill: [3, 17, 42, 8, 0, 49], decode: [21, 5])
}

@Test(.enabled(if: RealModel.smolLM2Available, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
func importedSmolLM2ComputesIdenticalLogits() throws {
    try checkRoundTrip(try RealModel.loadSmolLM2(), prefill: [1, 504, 3458, 282, 4649, 314], decode: [7042])
}

@Test func aParameterMissingFromTheWeightsIsNamed() throws {
    let tiny = try TinyLlama()
    let model = tinyModel(tiny)
    let codec = RepresentationCodec()
    let json = String(decoding: try codec.export(model.structure), as: UTF8.self)
        .replacingOccurrences(of: "\"blk.1.ffn_up.weight\"", with: "\"blk.1.ffn_up.renamed\"")
    let imported = try codec.import(Data(json.utf8), file: "renamed.graph.json")
    #expect {
        try model.replacingStructure(with: imported)
    } throws: { error in
        "\(error)" == "/tiny-llama.gguf: the graph's parameter 'blk.1.ffn_up.renamed' (graph 0) is not among the model's weights"
    }
}

@Test func aParameterOfTheWrongSizeIsNamed() throws {
    let model = tinyModel(try TinyLlama())
    var structure = model.structure
    let i = try #require(structure.graphs[0].variables.firstIndex { $0.name == "blk.0.attn_q.weight" })
    structure.graphs[0].variables[i].encoding = .ggml(.q8_0)
    #expect {
        try model.replacingStructure(with: structure)
    } throws: { error in
        "\(error)" == "/tiny-llama.gguf: the graph's parameter 'blk.0.attn_q.weight' (graph 0) is [64, 64] in Q8_0, 4352 bytes; the weights hold 16384 bytes"
    }
}

@Test(.enabled(if: RealModel.miniLMAvailable, RealModel.miniLMMissingNote))
func importedMiniLMComputesIdenticalEmbeddings() throws {
    let model = try Model.load("minilm")
    let codec = RepresentationCodec()
    let json = try codec.export(model.structure)
    let imported = try codec.import(json, file: "minilm.graph.json")
    #expect(imported == model.structure)
    #expect(try codec.export(imported) == json)
    let rebound = try model.replacingStructure(with: imported)
    let ids: [[Int32]] = [[101, 1037, 2158, 2003, 2652, 1037, 2858, 1012, 102], [101, 7592, 1010, 2088, 999, 102]]
    let a = try EmbeddingModel(model: model).embed(tokenized: ids)
    let b = try EmbeddingModel(model: rebound).embed(tokenized: ids)
    #expect(a.flatMap { $0 }.map(\.bitPattern) == b.flatMap { $0 }.map(\.bitPattern))
}
