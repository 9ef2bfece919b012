import Foundation
import Testing
import PithFormats
import PithGraph
import PithTensor
@testable import PithModels

/// Writes a tiny Llama GGUF (f32 weights) and returns its URL; `mutate` can change metadata or shapes.
func writeTinyLlamaGGUF(architecture: String = "llama", wrongShape: String? = nil, dropTensor: String? = nil) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID().uuidString).gguf")
    let writer = try GGUFWriter(url: url)
    let dim = 8, ffn = 16, vocab = 12
    try writer.setMetadata("general.architecture", .string(architecture))
    try writer.setMetadata("\(architecture).embedding_length", .uint32(UInt32(dim)))
    try writer.setMetadata("\(architecture).feed_forward_length", .uint32(UInt32(ffn)))
    try writer.setMetadata("\(architecture).block_count", .uint32(1))
    try writer.setMetadata("\(architecture).attention.head_count", .uint32(2))
    try writer.setMetadata("\(architecture).attention.head_count_kv", .uint32(1))
    try writer.setMetadata("\(architecture).vocab_size", .uint32(UInt32(vocab)))
    // Shapes outermost first; GGUF stores ne0 (the contiguous dimension) first.
    var tensors: [(String, [Int])] = [
        ("token_embd.weight", [vocab, dim]), ("output_norm.weight", [dim]),
        ("blk.0.attn_norm.weight", [dim]), ("blk.0.ffn_norm.weight", [dim]),
        ("blk.0.attn_q.weight", [dim, dim]), ("blk.0.attn_k.weight", [4, dim]), ("blk.0.attn_v.weight", [4, dim]),
        ("blk.0.attn_output.weight", [dim, dim]), ("blk.0.ffn_gate.weight", [ffn, dim]),
        ("blk.0.ffn_up.weight", [ffn, dim]), ("blk.0.ffn_down.weight", [dim, ffn]),
    ]
    tensors.removeAll { $0.0 == dropTensor }
    tensors = tensors.map { $0.0 == wrongShape ? ($0.0, $0.1.map { $0 + 1 }) : $0 }
    for (name, shape) in tensors { try writer.addTensor(name: name, dimensions: shape.reversed(), type: .f32) }
    for (name, shape) in tensors {
        let values = [Float](repeating: 0.01, count: shape.reduce(1, *))
        try values.withUnsafeBytes { try writer.writeTensorData($0, for: name) }
    }
    try writer.finish()
    return url
}

/// The one-line message a load fails with.
func loadFailure(_ reference: String) -> String? {
    do {
        _ = try Model.load(reference)
        return nil
    } catch {
        return "\(error)"
    }
}

@Test func tinyGGUFBuildsAValidGraph() throws {
    let url = try writeTinyLlamaGGUF()
    defer { try? FileManager.default.removeItem(at: url) }
    let model = try Model.load(url.path)
    #expect(model.structure.family == .decoderOnly)
    #expect(model.tokenizer == nil)
    try GraphValidator().validate(model.structure)
    let stats = GraphStatistics(graph: try #require(model.structure.mainGraph))
    #expect(stats.parameters == 12 * 8 + 8 * 3 + 8 * 8 * 2 + 4 * 8 * 2 + 16 * 8 * 3)
}

@Test func unknownArchitectureIsNamed() throws {
    let url = try writeTinyLlamaGGUF(architecture: "gpt9")
    defer { try? FileManager.default.removeItem(at: url) }
    let message = try #require(loadFailure(url.path))
    #expect(message == "\(url.path): unsupported architecture 'gpt9'")
}

@Test func shapeMismatchIsNamed() throws {
    let url = try writeTinyLlamaGGUF(wrongShape: "blk.0.ffn_up.weight")
    defer { try? FileManager.default.removeItem(at: url) }
    let message = try #require(loadFailure(url.path))
    #expect(message.hasPrefix(url.path) && message.contains("'blk.0.ffn_up.weight' has shape [17, 9]"))
}

@Test func missingTensorIsNamed() throws {
    let url = try writeTinyLlamaGGUF(dropTensor: "blk.0.attn_k.weight")
    defer { try? FileManager.default.removeItem(at: url) }
    #expect(loadFailure(url.path) == "\(url.path): missing tensor 'blk.0.attn_k.weight'")
}

@Test func truncatedFileIsOneLineNamingTheFile() throws {
    let url = try writeTinyLlamaGGUF()
    defer { try? FileManager.default.removeItem(at: url) }
    let bytes = try Data(contentsOf: url)
    for cut in stride(from: 0, to: bytes.count, by: max(bytes.count / 40, 1)) {
        try bytes.prefix(cut).write(to: url)
        let message = try #require(loadFailure(url.path))
        #expect(message.hasPrefix(url.path) && !message.contains("\n"))
    }
}

/// Head counts and sizes whose product overflows `Int` passed validation and trapped while the graph was built.
@Test func hugeHeadCountsAreRefused() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("huge-heads-\(UUID().uuidString).gguf")
    defer { try? FileManager.default.removeItem(at: url) }
    let writer = try GGUFWriter(url: url)
    try writer.setMetadata("general.architecture", .string("llama"))
    for (key, value) in [("embedding_length", 8), ("feed_forward_length", 16), ("block_count", 1), ("vocab_size", 12),
                         ("attention.head_count", 1 << 40), ("attention.key_length", 1 << 40)] {
        try writer.setMetadata("llama." + key, .uint64(UInt64(value)))
    }
    try writer.finish()
    let message = try #require(loadFailure(url.path))
    #expect(message.hasPrefix(url.path) && message.contains("num_attention_heads = 1099511627776 is invalid"))
}

@Test func aliasesResolveOrSayHowToFetch() throws {
    let locator = ModelLocator(environment: ["PITH_HOME": "/nonexistent-pith-home"])
    #expect(throws: ModelError.aliasNotFetched(alias: "smollm2",
            path: "/nonexistent-pith-home/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")) { try locator.resolve("smollm2") }
    #expect(throws: ModelError.unknownAlias("gpt5", known: ["minilm", "smollm2"])) { try locator.resolve("gpt5") }
    #expect(throws: ModelError.notFound("missing/model.gguf")) { try locator.resolve("missing/model.gguf") }
    #expect("\(ModelError.aliasNotFetched(alias: "smollm2", path: "/x"))".contains("make models"))
}

@Test func huggingFaceNamesMapBothWays() {
    #expect(WeightNames.llamaGraphName(huggingFace: "model.layers.12.mlp.down_proj.weight") == "blk.12.ffn_down.weight")
    #expect(WeightNames.llamaHuggingFaceName(graph: "blk.3.attn_q.weight") == "model.layers.3.self_attn.q_proj.weight")
    #expect(WeightNames.llamaGraphName(huggingFace: "model.layers.x.mlp.down_proj.weight") == nil)
    #expect(WeightNames.llamaGraphName(huggingFace: "lm_head.weight") == "output.weight")
}
