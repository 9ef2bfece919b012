import ArgumentParser
import PithModels
import PithRuntime

/// `pith bench`: prompt and generation speed against this machine's memory-bandwidth bound.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure prompt-processing and generation tokens/s and the share of the memory-bandwidth bound.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Prompt tokens.") var prompt = 128
    @Option(help: "Generated tokens.") var generate = 64
    @Option(help: "Repetitions (the best is reported).") var repetitions = 3
    @Option(help: "Encoders: a file with one sentence per line to embed (the first --sentences lines with text).") var file: String?
    @Option(help: "Encoders: how many sentences.") var sentences = 1000
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let model = try options.load()
        if model.structure.family == .encoderOnly { return try benchEmbedding(model) }
        let lm = try reportingErrors { try LanguageModel(model: model) }
        lm.executor.checksFinite = !options.noCheckFinite
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

    private func benchEmbedding(_ model: Model) throws {
        let text = try reportingErrors { try TextInput.read(text: nil, file: file) }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
        let chosen = Array(lines.prefix(sentences))
        let embedder = try reportingErrors { try EmbeddingModel(model: model) }
        let r = try reportingErrors { try embedder.benchmark(texts: chosen, repetitions: repetitions) }
        if json { return try printJSON(r) }
        print("sentences   \(r.sentences) (\(r.tokens) tokens, \(r.paddedTokens) with padding) in \(String(format: "%.3f", r.seconds)) s")
        print("throughput  \(String(format: "%.1f", r.sentencesPerSecond)) sentences/s, \(String(format: "%.0f", r.tokensPerSecond)) tokens/s")
        print("compute     \(String(format: "%.1f", r.achievedGFLOPs)) GFLOP/s in linear layers; the GEMM kernel alone \(String(format: "%.1f", r.sgemmGFLOPs)) GFLOP/s (\(String(format: "%.0f%%", r.achievedGFLOPs / r.sgemmGFLOPs * 100)))")
        print("threads     \(r.threads)")
    }
}
