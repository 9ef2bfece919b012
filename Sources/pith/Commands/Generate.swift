import ArgumentParser
import Foundation
import PithRuntime

/// `pith generate`: continue a prompt, streaming tokens as they come.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate text from a prompt (greedy, sampling or beam search), streamed to stdout.")

    @OptionGroup var options: ModelOptions
    @Option(help: "The prompt.") var prompt: String
    @Option(help: "Tokens to generate at most.") var maxTokens = 128
    @Option(help: "Sampling temperature; 0 picks the most likely token.") var temperature: Float = 0.8
    @Option(help: "Keep only the k most likely tokens (0: all).") var topK = 40
    @Option(help: "Keep the smallest set of tokens whose probability reaches p (1: all).") var topP: Float = 0.95
    @Option(help: "Drop tokens less likely than min-p × the most likely one (0: off).") var minP: Float = 0
    @Option(help: "Penalty for tokens already seen (1: off).") var repetitionPenalty: Float = 1
    @Option(help: "Tokens the repetition penalty looks back over (0: all).") var repetitionWindow = 64
    @Option(help: "Random seed, for reproducible sampling.") var seed: UInt64?
    @Option(help: "Beam search with this many beams (1: off; at most 64).") var beams = 1
    @Option(parsing: .singleValue, help: "Stop when this text is generated (repeatable).") var stop: [String] = []
    @Flag(help: "Wrap the prompt in the model's chat template (ChatML for SmolLM2).") var chat = false
    @Option(help: "System message for --chat (default: the template's own).") var system: String?

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be ≥ 0") }
        guard (1...GenerationOptions.maxBeams).contains(beams) else {
            throw ValidationError("--beams must be between 1 and \(GenerationOptions.maxBeams), got \(beams)")
        }
    }

    func run() throws {
        let model = try options.load()
        let lm = try reportingErrors { try LanguageModel(model: model) }
        lm.executor.checksFinite = !options.noCheckFinite
        var generation = GenerationOptions()
        generation.maxTokens = maxTokens
        generation.beams = beams
        generation.stopStrings = stop
        generation.sampling = SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                                 repetitionPenalty: repetitionPenalty, repetitionWindow: repetitionWindow, seed: seed)
        let text = try reportingErrors {
            chat ? try ChatTemplate.render(template: lm.tokenizer.chatTemplate, system: system, user: prompt) : prompt
        }
        if !chat { print(prompt, terminator: "") }
        let result = try reportingErrors {
            try lm.generate(prompt: text, options: generation) { piece in
                print(piece, terminator: "")
                fflush(nil)
            }
        }
        print("")
        fflush(nil)
        print(String(format: "prompt %d tokens, %.1f tok/s · generated %d tokens, %.1f tok/s · %@",
                     result.promptTokens, result.promptTokensPerSecond, result.tokens.count, result.generationTokensPerSecond,
                     result.finishReason.rawValue), to: &standardError)
    }
}
