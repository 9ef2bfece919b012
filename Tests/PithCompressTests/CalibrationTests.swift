import Foundation
import PithModels
import PithTokenizers
import Testing
@testable import PithCompress

@Suite struct CalibrationTests {
    @Test(.enabled(if: TestModels.smolLM2Available, TestModels.missingNote))
    func samplesAreConsecutiveWindows() throws {
        let tokenizer = try TestModels.smolLM2().requireTokenizer()
        let text = String(repeating: "The quick brown fox jumps over the lazy dog, again and again. ", count: 40)
        let set = try CalibrationSet(text: text, tokenizer: tokenizer, samples: 128, length: 64)
        let body = tokenizer.encode(text, addSpecialTokens: false, parseSpecialTokens: false)
        // BOS only when the model adds one (SmolLM2's GGUF does not).
        let bos: [Int32] = tokenizer.addsBOS ? [try #require(tokenizer.bosTokenID)] : []
        let window = 64 - bos.count
        #expect(set.count == body.count / window && set.count < 128)
        #expect(set.note?.contains("not 128") == true)
        #expect(set.samples.allSatisfy { $0.count == 64 && Array($0.prefix(bos.count)) == bos })
        #expect(set.samples[1] == bos + Array(body[window..<(2 * window)]))
        #expect(throws: RecipeError.self) { try CalibrationSet(text: "hi", tokenizer: tokenizer, samples: 4, length: 64) }
    }

    @Test(.enabled(if: TestModels.miniLMAvailable, TestModels.missingNote))
    func encoderSamplesKeepTheTemplate() throws {
        let tokenizer = try Model.load("minilm").requireTokenizer()
        let text = String(repeating: "calibration text for an encoder model. ", count: 30)
        let set = try CalibrationSet(text: text, tokenizer: tokenizer, samples: 3, length: 32)
        let (prefix, suffix) = CalibrationSet.template(of: tokenizer)
        #expect(prefix.count == 1 && suffix.count == 1)
        #expect(set.count == 3 && set.note == nil)
        #expect(set.samples.allSatisfy { $0.count == 32 && $0.first == prefix[0] && $0.last == suffix[0] })
    }

    @Test func captureCountsEveryTokenOfEverySample() throws {
        let model = tinyLlama()
        let samples = try CalibrationSet(samples: (0..<5).map { randomTokens(24, vocabulary: 96, seed: UInt64($0)) })
        let stages = try Recipe(stages: [.init(pass: "gptq", parameters: ["group_size": .int(32)])], source: "t").resolve()
        let run = try QuantizationRun(model: model, stages: stages, options: QuantizationOptions(calibration: samples))
        #expect(run.sites.count == 2 * 7 + 1)
        let segments = try run.graph.layerSegments()
        // Two samples per call: the three calls hold 2, 2 and 1 samples.
        let runner = SegmentRunner(calibration: samples, rowsPerCall: 48)
        let embedded = try runner.run(segments[0].graph, weights: model.weights, store: [:])
        #expect(embedded["embed.out"]?.count == 5 * 24 * 64)
        let block = run.sites.filter { $0.name.hasPrefix("blk.0.") }
        let statistics = try run.capture(block, segment: segments[1], runner: runner, store: embedded)
        #expect(Set(statistics.keys) == ["blk.0.attn_norm.out", "blk.0.attention.out", "blk.0.ffn_norm.out", "blk.0.ffn_mul.out"])
        #expect(statistics.values.allSatisfy { $0.tokens == 5 * 24 })
        #expect(statistics["blk.0.ffn_mul.out"]?.features == 128)
    }

    /// Sentences of different lengths, padded into one batch, give the statistics each sentence gives alone: padded
    /// rows are masked out of attention and never measured.
    @Test(.enabled(if: TestModels.miniLMAvailable, TestModels.missingNote))
    func paddedLineSamplesMeasureOnlyRealTokens() throws {
        let model = try Model.load("minilm")
        let tokenizer = try model.requireTokenizer()
        let lines = ["A man is playing a guitar.", "", "Short.", "The stock market fell sharply on Monday after the announcement."]
        let padded = try CalibrationSet(lines: lines, tokenizer: tokenizer, samples: 8, length: 64)
        #expect(padded.count == 3 && padded.isPadded && padded.note?.contains("3 lines") == true)
        #expect(padded.lengths.max() == padded.length && padded.samples.allSatisfy { $0.count == padded.length })
        let stages = try Recipe(stages: [.init(pass: "gptq", parameters: ["group_size": .int(32)])], source: "t").resolve()
        func statistics(_ set: CalibrationSet) throws -> [String: InputStatistics] {
            let run = try QuantizationRun(model: model, stages: stages, options: QuantizationOptions(calibration: set))
            let segments = try run.graph.layerSegments()
            let runner = SegmentRunner(calibration: set)
            let embedded = try runner.run(segments[0].graph, weights: model.weights, store: [:])
            let block = run.sites.filter { $0.name.hasPrefix("blk.0.") }
            return try run.capture(block, segment: segments[1], runner: runner, store: embedded)
        }
        let together = try statistics(padded)
        var alone: [String: InputStatistics] = [:]
        for (sample, length) in zip(padded.samples, padded.lengths) {
            for (name, s) in try statistics(try CalibrationSet(samples: [Array(sample.prefix(length))])) {
                if alone[name] == nil { alone[name] = s } else { alone[name]?.merge(s) }
            }
        }
        #expect(!together.isEmpty && Set(together.keys) == Set(alone.keys))
        for (name, t) in together {
            let a = try #require(alone[name])
            #expect(t.tokens == padded.lengths.reduce(0, +) && a.tokens == t.tokens)
            let scale = a.gram.map(abs).max() ?? 1
            let worst = zip(t.gram, a.gram).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-4 * scale, "\(name): Gram differs by \(worst) of \(scale)")
        }
    }
}
