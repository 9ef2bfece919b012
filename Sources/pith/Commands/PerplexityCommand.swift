import ArgumentParser
import Foundation
import PithRuntime

/// `pith perplexity`: perplexity of a text, computed as llama.cpp's llama-perplexity does.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "perplexity",
        abstract: "Perplexity of a text (chunks of --context tokens, second half of each scored, as llama-perplexity).")

    @OptionGroup var options: ModelOptions
    @Option(help: "The text file to score.") var text: String
    @Option(help: "Tokens per chunk (8 … the model's trained context).") var context = 512
    @Option(help: "Score at most this many chunks (≥ 1).") var chunks: Int?
    @Flag(help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard context >= 8 else { throw ValidationError("--context must be at least 8, got \(context)") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks)") }
    }

    func run() throws {
        let body = try reportingErrors { try TextInput.read(text: nil, file: text) }
        let model = try options.load()
        let lm = try reportingErrors { try LanguageModel(model: model, maxBatch: context) }
        lm.executor.checksFinite = !options.noCheckFinite
        let result = try reportingErrors {
            try lm.perplexity(text: body, context: context, maxChunks: chunks) { chunk, total, running in
                print("\rchunk \(chunk)/\(total)  perplexity \(String(format: "%.4f", running))", terminator: "", to: &standardError)
            }
        }
        print("", to: &standardError)
        if json {
            try printJSON(result)
        } else {
            print(String(format: "perplexity %.4f ± %.4f over %d tokens in %d chunks (%.1f s)",
                         result.perplexity, result.standardError, result.tokensScored, result.chunks, result.seconds))
        }
    }
}
