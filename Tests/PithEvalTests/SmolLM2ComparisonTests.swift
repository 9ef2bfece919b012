import Foundation
import Testing
import PithModels
import PithRuntime
@testable import PithEval

/// SmolLM2 compared with itself: no divergence, and the perplexity `pith perplexity` computes, on the same chunks.
@Suite(.serialized, .enabled(if: RealModel.available, RealModel.missingNote))
struct SmolLM2ComparisonTests {
    /// Two runs of the same model are bit-reproducible (the thread pool keeps its partition), so only rounding noise
    /// of the KL sum over 49152 terms could show; the brief's bar.
    static let selfKLTolerance = 1e-9
    /// Same arithmetic in the same order: equal to the last bit in practice; a relative hair of slack.
    static let perplexityTolerance = 1e-12
    static let context = 128, chunks = 2

    @Test func modelAgainstItselfHasNoDivergenceAndThePerplexityOfPerplexity() throws {
        let model = try Model.load("smollm2")
        let text = try String(contentsOf: RealModel.tutorialText, encoding: .utf8)
        let outcome = try ComparisonReport.measure(
            base: ComparisonSubject(model: model, name: "base"), others: [ComparisonSubject(model: model, name: "same")],
            text: text, textPath: RealModel.tutorialText.path,
            settings: ComparisonSettings(context: Self.context, maxChunks: Self.chunks, speed: nil))
        let result = outcome.result
        let expected = try LanguageModel(model: model, maxBatch: Self.context)
            .perplexity(text: text, context: Self.context, maxChunks: Self.chunks)

        #expect(result.chunks == Self.chunks && result.context == Self.context)
        let other = try #require(result.others.first)
        #expect(other.divergence.tokens == Self.chunks * (Self.context - 1 - Self.context / 2))
        #expect(other.divergence.tokens == expected.tokensScored)
        #expect(abs(other.divergence.klMean) < Self.selfKLTolerance)
        #expect(abs(other.divergence.klMax) < Self.selfKLTolerance && abs(other.divergence.klP99) < Self.selfKLTolerance)
        #expect(other.divergence.top1Agreement == 1)
        #expect(result.base.perplexity == other.perplexity.perplexity)
        #expect(abs(result.base.perplexity - expected.perplexity) <= Self.perplexityTolerance * expected.perplexity)
        #expect(abs(result.base.standardError - expected.standardError) <= 1e-9 * expected.standardError)

        // The rows: labels, footprint and the derived figures.
        let report = outcome.report
        #expect(report.base.method == "base" && report.base.name == "base")
        #expect(report.rows.map(\.name) == ["same"])
        #expect(report.rows[0].method == "Q4_1")
        #expect(report.rows[0].perplexityDelta == 0)
        #expect(report.rows[0].top1Agreement == 1)
        #expect(report.base.promptTokensPerSecond == nil)  // speed skipped
        let fileSize = try FileManager.default.attributesOfItem(atPath: model.source.path)[.size] as? Int
        #expect(report.base.sizeBytes == fileSize)
        let parameters = try #require(report.base.parameters)
        #expect(parameters > 130_000_000 && parameters < 140_000_000)  // SmolLM2-135M, tied embeddings once
        let bits = try #require(report.base.bitsPerWeight)
        #expect(bits > 5 && bits < 6)  // Q4_1 is 5 bits per weight; the Q8_0/f32 rest raises the mean a little
    }

    @Test func chunksAreCutAsPerplexityCutsThem() throws {
        let tokenizer = try Model.load("smollm2").requireTokenizer()
        let text = try String(contentsOf: RealModel.tutorialText, encoding: .utf8)
        let chunks = try EvaluationChunks(text: text, tokenizer: tokenizer, context: 64, maxChunks: 3)
        #expect(chunks.count == 3)
        #expect(chunks.scoredRows == Array(32..<63))
        #expect(chunks.tokensPerChunk == 31)
        #expect(chunks.chunk(1).count == 64)
        #expect(throws: EvaluationError.self) { try EvaluationChunks(text: "too short", tokenizer: tokenizer, context: 64) }
        #expect(throws: EvaluationError.self) { try EvaluationChunks(text: text, tokenizer: tokenizer, context: 4) }
    }
}
