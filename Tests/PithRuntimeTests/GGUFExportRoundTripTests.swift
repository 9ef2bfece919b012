import Foundation
import Testing
import PithFormats
import PithGraph
import PithModels
import PithTensor
@testable import PithRuntime

/// GGUF export → load gives a model that computes what the exported one did (GGUFExporterTests check the bytes).
///
/// A half-split (Hugging Face) model comes back with the interleaved rotation and its q/k rows permuted; rotating
/// interleaved pairs of permuted rows is the same arithmetic as rotating half-split pairs, so logits agree to rounding.
@Suite struct GGUFExportRoundTripTests {
    // Same products, summed in the same order: only the kernels' reassociation of the rotation can differ.
    static let roundTripBudget: Float = 1e-4

    static func logits(_ model: Model, _ tokens: [Int32]) throws -> [Float] {
        let executor = try Executor(model: model, maxRows: 16)
        let rows = (0..<tokens.count).map { Int32($0) }
        let out = try executor.run(inputs: ["token_ids": tokens, "positions": rows, "output_rows": rows], rows: tokens.count,
                                   state: executor.makeState(capacity: 16))
        return try #require(out["logits"]).values
    }

    static func model(_ tiny: TinyLlama) -> Model {
        Model(structure: tiny.structure, weights: tiny.weights, tokenizer: nil,
              source: URL(fileURLWithPath: "/nonexistent/tiny"), contextLength: 64)
    }

    @Test(arguments: [GGMLType.f32, .q8_0, .q4_0])
    func halfSplitModelRunsTheSameFromItsGGUF(linearType: GGMLType) throws {
        let tiny = try TinyLlama(seed: 5, ropeMode: "half_split", linearType: linearType)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-roundtrip-\(UUID().uuidString.prefix(8)).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFExporter.export(model: Self.model(tiny), to: url)
        let reloaded = try Model.load(url.path)
        let rope = try #require(reloaded.structure.mainGraph?.operators.first { $0.type == "rope" })
        #expect(rope.attributes["mode"] == .string("interleaved"))
        let tokens: [Int32] = [3, 17, 42, 8, 8, 0, 49, 21]
        let before = try Self.logits(Self.model(tiny), tokens)
        let after = try Self.logits(reloaded, tokens)
        let worst = zip(before, after).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < Self.roundTripBudget, "max |Δlogit| \(worst)")
        // And both follow the plain-loop reference (quantized: within the executor's 8-bit activation rounding).
        let reference = tiny.referenceLogits(tokens.map { Int($0) })
        let scale = reference.flatMap { $0 }.map { abs($0) }.max() ?? 1
        #expect(maxDifference(after, reference) < (linearType == .f32 ? f32LogitBudget : 0.05 * scale))
    }

    @Test(.enabled(if: RealModel.smolLM2Available, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func smolLM2RunsIdenticallyFromItsExport() throws {
        let model = try RealModel.loadSmolLM2()
        // PITH_KEEP_EXPORT=FILE keeps the export for llama.cpp checks (llama-perplexity must equal the source's).
        let kept = ProcessInfo.processInfo.environment["PITH_KEEP_EXPORT"].map { URL(fileURLWithPath: $0) }
        let url = kept ?? FileManager.default.temporaryDirectory.appendingPathComponent("pith-smollm2-\(UUID().uuidString.prefix(8)).gguf")
        defer { if kept == nil { try? FileManager.default.removeItem(at: url) } }
        try GGUFExporter.export(model: model, to: url)
        let reloaded = try Model.load(url.path)
        let prompt = "The capital of France is"
        let tokens = try model.requireTokenizer().encode(prompt, addSpecialTokens: true, parseSpecialTokens: false)
        #expect(try reloaded.requireTokenizer().encode(prompt, addSpecialTokens: true, parseSpecialTokens: false) == tokens)
        // The same bytes through the same graph: bit-identical logits.
        #expect(try Self.logits(model, tokens) == Self.logits(reloaded, tokens))
    }
}
