import ArgumentParser
import PithRuntime

/// `pith bench`: prompt and generation speed against this machine's memory-bandwidth bound.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prompt-processing and generation tokens/s and the share of the memory-bandwidth bound.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Prompt tokens.") var prompt = 128
    @Option(help: "Generated tokens.") var generate = 64
    @Option(help: "Repetitions (the best is reported).") var repetitions = 3
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let model = try options.load()
        let lm = try reportingErrors { try LanguageModel(model: model) }
        let r = try reportingErrors { try lm.benchmark(promptTokens: prompt, generatedTokens: generate, repetitions: repetitions) }
        if json {
            try printJSON(r)
        } else {
            print("prompt      \(r.promptTokens) tokens  \(String(format: "%.1f", r.promptTokensPerSecond)) tok/s")
            print("generation  \(r.generatedTokens) tokens  \(String(format: "%.1f", r.generationTokensPerSecond)) tok/s")
            print("bound       \(String(format: "%.1f", r.bandwidthBoundTokensPerSecond)) tok/s (\(Format.bytes(r.weightBytesPerToken)) per token at \(String(format: "%.1f", r.memoryBandwidthGBps)) GB/s); generation reaches \(String(format: "%.0f%%", r.fractionOfBound * 100)) of it")
            print("threads     \(r.threads)")
        }
    }
}
