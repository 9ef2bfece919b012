import PithRuntime

/// How `pith compare` times a model: `LanguageModel.benchmark`'s prefill and greedy decode, best of some repetitions.
public struct SpeedSettings: Codable, Sendable, Equatable {
    public var promptTokens = 128
    public var generatedTokens = 64
    public var repetitions = 3

    public init(promptTokens: Int = 128, generatedTokens: Int = 64, repetitions: Int = 3) {
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.repetitions = repetitions
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", generatedTokens = "generated_tokens", repetitions
    }

    /// Times `lm`.
    public func measure(_ lm: LanguageModel) throws -> BenchmarkResult {
        guard promptTokens > 0, generatedTokens > 0, repetitions > 0 else {
            throw EvaluationError("speed: prompt tokens, generated tokens and repetitions must be positive")
        }
        return try lm.benchmark(promptTokens: promptTokens, generatedTokens: generatedTokens, repetitions: repetitions)
    }
}
