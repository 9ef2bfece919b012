import ArgumentParser
import Foundation
import PithEval
import PithModels

/// `pith compare`: a base model against compressed ones — perplexity, KL divergence, top-1 agreement, size and speed.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare models with a base on a text: perplexity, KL divergence, top-1 agreement, size, bits per weight, speed.",
        discussion: """
        The base runs once over the chunks `pith perplexity` scores; every other model runs on the same chunks, and its
        next-token distributions are compared with the base's (KL(P_base ‖ P_model) per scored token, in nats).
        Models: .gguf files, Hugging Face folders, .pith packages, or aliases (smollm2).
        """)

    @Argument(help: "The base model.") var base: String
    @Argument(help: "The models to compare with it.") var others: [String] = []
    @Option(help: "The text file to score.") var text: String
    @Option(help: "Tokens per chunk.") var context = 512
    @Option(help: "Score at most this many chunks.") var chunks: Int?
    @Option(help: "Row name of each model in order, base first (repeat the option); the file name by default.") var name: [String] = []
    @Option(help: "Method of each model in order, base first (repeat the option); \"base\" and the main weight encoding by default.") var method: [String] = []
    @Flag(help: "Skip the speed measurement.") var noSpeed = false
    @Option(help: "Speed: prompt tokens.") var promptTokens = 128
    @Option(help: "Speed: generated tokens.") var generateTokens = 64
    @Option(help: "Speed: repetitions (the best is kept).") var repetitions = 3
    @Option(help: "Append the rows of this report (or JSON array of rows) to the output, e.g. llama.cpp baselines.") var merge: [String] = []
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(name: .shortAndLong, help: "Write the report as JSON to this file.") var output: String?

    func validate() throws {
        guard !others.isEmpty else { throw ValidationError("give a base model and at least one model to compare with it") }
        guard name.count <= others.count + 1 else { throw ValidationError("\(name.count) --name values for \(others.count + 1) models") }
        guard method.count <= others.count + 1 else { throw ValidationError("\(method.count) --method values for \(others.count + 1) models") }
    }

    func run() throws {
        let body = try reportingErrors { try TextInput.read(text: nil, file: text) }
        let merged = try reportingErrors { try merge.flatMap { try ComparisonReport.loadRows(from: URL(fileURLWithPath: $0)) } }
        let references = [base] + others
        let subjects = try references.enumerated().map { i, reference in
            ComparisonSubject(model: try Self.load(reference),
                              name: i < name.count ? name[i] : nil, method: i < method.count ? method[i] : nil)
        }
        let settings = ComparisonSettings(context: context, maxChunks: chunks,
            speed: noSpeed ? nil : SpeedSettings(promptTokens: promptTokens, generatedTokens: generateTokens, repetitions: repetitions))
        let outcome = try reportingErrors {
            try ComparisonReport.measure(base: subjects[0], others: Array(subjects.dropFirst()), text: body, textPath: text,
                                         settings: settings) { event in
                switch event {
                case .chunk(let p):
                    let others = zip(p.perplexities, p.klMeans).map { String(format: "%.4f (KL %.5f)", $0, $1) }.joined(separator: ", ")
                    Progress.update("chunk \(p.chunk)/\(p.chunks)  base \(String(format: "%.4f", p.basePerplexity))  others \(others)")
                case .timing(let name):
                    Progress.update("timing \(name)")
                }
            }
        }
        Progress.finish("compared \(subjects.count) models over \(outcome.report.chunks) chunks of \(context) tokens")
        var report = outcome.report
        report.rows += merged
        if let output { try reportingErrors { try report.write(to: URL(fileURLWithPath: output)) } }
        if json { return try printJSON(report) }
        print(report.table())
        print("")
        print("KL divergence (nats per token)  mean ± standard error, median, p99, p99.9, max; top-1 agreement")
        for (row, d) in zip(outcome.report.rows, outcome.result.others) {
            let k = d.divergence
            print("  \(row.name)  " + String(format: "%.6f ± %.6f, %.6f, %.6f, %.6f, %.6f; %.2f%% of %d tokens",
                                                 k.klMean, k.klStandardError, k.klMedian, k.klP99, k.klP999, k.klMax, k.top1Agreement * 100, k.tokens))
        }
        let scores = [(outcome.report.base.name, outcome.result.base)] + zip(outcome.report.rows, outcome.result.others).map { ($0.name, $1.perplexity) }
        print("perplexity ± standard error  " + scores.map { "\($0.0) " + String(format: "%.4f ± %.4f", $0.1.perplexity, $0.1.standardError) }.joined(separator: ", "))
    }

    /// Loads a model as every other command does (`ModelOptions`), so packages work too.
    static func load(_ reference: String) throws -> Model {
        try ModelOptions.parse(["--", reference]).load()
    }
}
