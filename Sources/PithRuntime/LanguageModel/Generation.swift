import Foundation
import PithTensor
import PithTokenizers

/// What to generate and how to pick tokens.
public struct GenerationOptions: Sendable {
    public var maxTokens: Int = 128
    public var sampling = SamplingParameters()
    public var stopStrings: [String] = []
    /// Beam search with this many beams when > 1 (sampling parameters are then unused); at most `maxBeams`.
    public var beams: Int = 1
    /// The most beams a search keeps: each holds two KV caches and a row of logits.
    public static let maxBeams = 64
    public init() {}
}

/// A finished generation with its timings.
public struct GenerationResult: Codable, Sendable {
    public enum FinishReason: String, Codable, Sendable { case endToken = "end_token", stopString = "stop_string", maxTokens = "max_tokens", contextFull = "context_full" }
    public var text: String
    public var tokens: [Int32]
    public var promptTokens: Int
    public var promptSeconds: Double
    public var generationSeconds: Double
    public var finishReason: FinishReason

    public var promptTokensPerSecond: Double { Double(promptTokens) / max(promptSeconds, 1e-9) }
    public var generationTokensPerSecond: Double { Double(tokens.count) / max(generationSeconds, 1e-9) }
}

extension LanguageModel {
    /// Token ids of a prompt, special tokens written in it recognised (e.g. a chat template's markers).
    public func promptTokens(_ prompt: String) -> [Int32] {
        var ids = tokenizer.encode(prompt, addSpecialTokens: true, parseSpecialTokens: true)
        if ids.isEmpty, let bos = tokenizer.bosTokenID { ids = [bos] }
        return ids
    }

    /// Generates a continuation of `prompt`, streaming text to `onText` as soon as it is complete UTF-8 and cannot
    /// be the start of a stop string.
    public func generate(prompt: String, options: GenerationOptions, onText: (String) -> Void = { _ in }) throws -> GenerationResult {
        let prompt = promptTokens(prompt)
        guard !prompt.isEmpty else { throw ExecutionError("the prompt is empty and the model has no BOS token") }
        let sampling = try options.sampling.validated()
        guard options.maxTokens >= 0 else { throw ExecutionError("--max-tokens must be at least 0, got \(options.maxTokens)") }
        guard (1...GenerationOptions.maxBeams).contains(options.beams) else {
            throw LimitError("--beams must be between 1 and \(GenerationOptions.maxBeams), got \(options.beams)")
        }
        // Saturating: --max-tokens may be any count; the cache never outgrows the context.
        let (sum, overflow) = prompt.count.addingReportingOverflow(options.maxTokens)
        let capacity = overflow || sum >= model.contextLength ? model.contextLength : sum + 1
        guard prompt.count < capacity else {
            throw ExecutionError("the prompt has \(prompt.count) tokens; the model's context is \(model.contextLength)")
        }
        // Beam search keeps two caches per beam (the beams and their next generation).
        try requireStates(capacity: capacity, count: options.beams > 1 ? 2 * options.beams : 1, flag: "the prompt plus --max-tokens")
        if options.beams > 1 { return try beamSearch(prompt: prompt, options: options, capacity: capacity, onText: onText) }

        let state = makeState(capacity: capacity)
        let t0 = ContinuousClock.now
        var logits = try nextTokenLogits(prompt, state: state)
        let promptSeconds = (ContinuousClock.now - t0).seconds

        var sampler = Sampler(parameters: sampling)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        let endTokens = tokenizer.endOfGenerationTokenIDs
        var stop = StopCondition(maxTokens: options.maxTokens, endTokens: endTokens, stopStrings: options.stopStrings)
        var history = prompt
        var generated: [Int32] = []
        var text = ""
        var reason = GenerationResult.FinishReason.maxTokens
        let t1 = ContinuousClock.now
        while options.maxTokens > 0 {
            let next = logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history[...]) }
            let isEnd = endTokens.contains(next)
            if !isEnd {
                generated.append(next)
                history.append(next)
            }
            var (emit, finished) = stop.feed(tokenID: next, text: isEnd ? "" : decoder.append(next))
            if !finished && state.length >= state.capacity {
                finished = true
                reason = .contextFull
                emit += stop.finish()
            }
            if finished {
                if isEnd {
                    reason = .endToken
                } else if reason != .contextFull && generated.count < options.maxTokens {
                    reason = .stopString
                }
                // Bytes of an unfinished character are shown only when no stop string cut the text.
                if reason != .stopString { emit += decoder.finish() }
            }
            text += emit
            if !emit.isEmpty { onText(emit) }
            if finished { break }
            logits = try nextTokenLogits([next], state: state)
        }
        return GenerationResult(text: text, tokens: generated, promptTokens: prompt.count, promptSeconds: promptSeconds,
                                generationSeconds: (ContinuousClock.now - t1).seconds, finishReason: reason)
    }
}
