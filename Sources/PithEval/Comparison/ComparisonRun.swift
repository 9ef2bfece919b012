import Foundation
import PithModels
import PithRuntime

/// A model taking part in a comparison, and the labels of its row.
public struct ComparisonSubject {
    public var model: Model
    public var name: String
    /// How it was made; nil: "base" for the base, the dominant parameter encoding ("Q4_1") for the others.
    public var method: String?
    public var tool: String
    public var quantizeSeconds: Double?
    public var notes: String?

    /// `name` defaults to the source's file name without its extension.
    public init(model: Model, name: String? = nil, method: String? = nil, tool: String = "pith",
                quantizeSeconds: Double? = nil, notes: String? = nil) {
        self.model = model
        self.name = name ?? model.source.deletingPathExtension().lastPathComponent
        self.method = method
        self.tool = tool
        self.quantizeSeconds = quantizeSeconds ?? Self.recordedQuantizeSeconds(model)
        self.notes = notes
    }

    /// The time `pith quantize` recorded in the model's metadata (`pith.quantization` → totals.seconds), if any.
    static func recordedQuantizeSeconds(_ model: Model) -> Double? {
        guard let text = model.structure.metadata["pith.quantization"],
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let totals = object["totals"] as? [String: Any] else { return nil }
        return (totals["seconds"] as? NSNumber)?.doubleValue
    }
}

/// The settings of a comparison: the perplexity chunks, and whether and how to time the models.
public struct ComparisonSettings: Sendable {
    public var context: Int
    public var maxChunks: Int?
    /// nil: no speed measurement.
    public var speed: SpeedSettings?

    public init(context: Int = 512, maxChunks: Int? = nil, speed: SpeedSettings? = SpeedSettings()) {
        self.context = context
        self.maxChunks = maxChunks
        self.speed = speed
    }
}

/// What a comparison is doing, for progress lines.
public enum ComparisonEvent: Sendable {
    case chunk(ModelComparison.Progress)
    /// About to time the model with this row name.
    case timing(String)
}

/// A finished comparison: the report, and the fuller figures behind its rows.
public struct ComparisonOutcome: Sendable {
    public var report: ComparisonReport
    public var result: ModelComparison.Result
    /// Base first, then the others in order.
    public var footprints: [ModelFootprint]
    public var speeds: [BenchmarkResult?]
}

extension ComparisonReport {
    /// Scores `base` and every model in `others` on `text` in one pass per chunk, measures their footprints and (unless
    /// `settings.speed` is nil) their speed, and returns the rows. `textPath` is recorded as the report's `text`.
    public static func measure(base: ComparisonSubject, others: [ComparisonSubject], text: String, textPath: String,
                               settings: ComparisonSettings = .init(),
                               events: (ComparisonEvent) -> Void = { _ in }) throws -> ComparisonOutcome {
        guard !others.isEmpty else { throw EvaluationError("nothing to compare: give at least one model besides the base") }
        let subjects = [base] + others
        let lms = try subjects.map { try LanguageModel(model: $0.model, maxBatch: settings.context) }
        let comparison = try ModelComparison(base: lms[0], others: Array(lms.dropFirst()), text: text,
                                             context: settings.context, maxChunks: settings.maxChunks)
        let result = try comparison.run { events(.chunk($0)) }
        let footprints = subjects.map { ModelFootprint(model: $0.model) }
        var speeds: [BenchmarkResult?] = []
        for (subject, lm) in zip(subjects, lms) {
            guard let speed = settings.speed else { speeds.append(nil); continue }
            events(.timing(subject.name))
            speeds.append(try speed.measure(lm))
        }

        func row(_ i: Int, perplexity: PerplexityScore, divergence: DivergenceStatistics?) -> ComparisonRow {
            let s = subjects[i], f = footprints[i]
            var notes = s.notes.map { [$0] } ?? []
            if !perplexity.perplexity.isFinite { notes.append("perplexity is not finite") }
            let ppl = perplexity.perplexity.finite
            return ComparisonRow(
                name: s.name, tool: s.tool, method: s.method ?? (i == 0 ? "base" : f.dominantEncoding ?? "unknown"),
                source: s.model.source.path, parameters: f.parameters, bitsPerWeight: f.bitsPerWeight, sizeBytes: f.sizeBytes,
                perplexity: ppl, perplexityDelta: ppl.flatMap { p in result.base.perplexity.finite.map { p - $0 } },
                klMean: divergence?.klMean.finite, klP99: divergence?.klP99.finite, top1Agreement: divergence?.top1Agreement,
                quantizeSeconds: s.quantizeSeconds,
                promptTokensPerSecond: speeds[i]?.promptTokensPerSecond.finite,
                generationTokensPerSecond: speeds[i]?.generationTokensPerSecond.finite,
                notes: notes.isEmpty ? nil : notes.joined(separator: "; "))
        }
        let report = ComparisonReport(
            text: textPath, context: result.context, chunks: result.chunks,
            base: row(0, perplexity: result.base, divergence: nil),
            rows: result.others.enumerated().map { row($0.offset + 1, perplexity: $0.element.perplexity, divergence: $0.element.divergence) })
        return ComparisonOutcome(report: report, result: result, footprints: footprints, speeds: speeds)
    }
}

extension Double {
    /// The value when finite, else nil (JSON has no NaN or infinity).
    var finite: Double? { isFinite ? self : nil }
}
