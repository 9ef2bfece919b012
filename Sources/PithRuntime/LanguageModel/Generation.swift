import Foundation
import PithTokenizers

/// What to generate and how to pick tokens.
public struct GenerationOptions: Sendable {
    public var maxTokens: Int = 128
    public var sampling = SamplingParameters()
    public var stopStrings: [String] = []
    /// Beam search with this many beams when > 1 (sampling parameters are then unused).
    public var beams: Int = 1
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
        let capacity = min(model.contextLength, prompt.count + max(options.maxTokens, 0) + 1)
        guard prompt.count < capacity else {
            throw ExecutionError("the prompt has \(prompt.count) tokens; the model's context is \(model.contextLength)")
        }
        if options.beams > 1 { return try beamSearch(prompt: prompt, options: options, onText: onText) }

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
