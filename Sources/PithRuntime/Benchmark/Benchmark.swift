import Foundation
import PithGraph
import PithTensor

/// Prompt-processing and generation speed, with the memory-bandwidth bound measured in the same run.
public struct BenchmarkResult: Codable, Sendable {
    public var promptTokens: Int
    public var generatedTokens: Int
    public var promptTokensPerSecond: Double
    public var generationTokensPerSecond: Double
    public var threads: Int
    /// Bytes of weights read to decode one token.
    public var weightBytesPerToken: Int
    /// Sustained read bandwidth of this machine, measured just before.
    public var memoryBandwidthGBps: Double
    /// memoryBandwidth ÷ weightBytesPerToken: the decode rate if only memory limited it.
    public var bandwidthBoundTokensPerSecond: Double
    /// generationTokensPerSecond ÷ bandwidthBoundTokensPerSecond.
    public var fractionOfBound: Double

    enum CodingKeys: String, CodingKey {
        case threads
        case promptTokens = "prompt_tokens", generatedTokens = "generated_tokens"
        case promptTokensPerSecond = "prompt_tokens_per_s", generationTokensPerSecond = "generation_tokens_per_s"
        case weightBytesPerToken = "weight_bytes_per_token", memoryBandwidthGBps = "memory_bandwidth_gb_s"
        case bandwidthBoundTokensPerSecond = "bandwidth_bound_tokens_per_s", fractionOfBound = "fraction_of_bound"
    }
}

extension LanguageModel {
    /// Bytes of parameters one decoded token reads: every weight once, an embedding table one row unless another
    /// operator (a tied output projection) reads it whole.
    public var weightBytesPerToken: Int {
        let vars = executor.graph.variablesByName
        var wholeReads = Set<String>(), rowReads = Set<String>()
        for node in executor.graph.operators {
            for names in node.inputs.values {
                for name in names where vars[name]?.isParameter == true {
                    if node.type == "embedding" { rowReads.insert(name) } else { wholeReads.insert(name) }
                }
            }
        }
        var bytes = 0
        for name in wholeReads.union(rowReads) {
            guard let v = vars[name], let n = v.elementCount, let full = v.encoding.byteCount(shape: v.shape) else { continue }
            bytes += wholeReads.contains(name) ? full : full / max(v.shape.first ?? 1, 1)
        }
        return bytes
    }

    /// Times a `promptTokens` prefill and `generatedTokens` greedy decoding steps after it, best of `repetitions`.
    public func benchmark(promptTokens: Int = 128, generatedTokens: Int = 64, repetitions: Int = 3) throws -> BenchmarkResult {
        guard promptTokens >= 1, generatedTokens >= 0 else {
            throw ExecutionError("--prompt-tokens must be at least 1 and --generate-tokens at least 0")
        }
        let (sum, overflow) = promptTokens.addingReportingOverflow(generatedTokens)
        guard !overflow, sum < model.contextLength else {
            throw LimitError("--prompt-tokens plus --generate-tokens must stay below the model's trained context of \(model.contextLength) tokens")
        }
        try requireStates(capacity: sum + 1, flag: "--prompt-tokens plus --generate-tokens")
        let bandwidth = MemoryBandwidth.measure()
        // A fixed pseudo-random prompt: the speed does not depend on which tokens they are.
        var rng = UInt64(0x9E37_79B9_7F4A_7C15)
        let prompt: [Int32] = (0..<promptTokens).map { _ in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int32(truncatingIfNeeded: (rng >> 33) % UInt64(vocabularySize))
        }
        var bestPrompt = Double.infinity, bestDecode = Double.infinity
        let state = makeState(capacity: promptTokens + generatedTokens + 1)
        for _ in 0..<max(repetitions, 1) {
            state.reset()
            let t0 = ContinuousClock.now
            var logits = try nextTokenLogits(prompt, state: state)
            bestPrompt = min(bestPrompt, (ContinuousClock.now - t0).seconds)
            let t1 = ContinuousClock.now
            for _ in 0..<generatedTokens {
                let next = Int32(logits.indices.max { logits[$0] < logits[$1] } ?? 0)
                logits = try nextTokenLogits([next], state: state)
            }
            bestDecode = min(bestDecode, (ContinuousClock.now - t1).seconds)
        }
        let bytes = weightBytesPerToken
        let bound = bandwidth / Double(max(bytes, 1))
        let decodeRate = Double(generatedTokens) / bestDecode
        return BenchmarkResult(
            promptTokens: promptTokens, generatedTokens: generatedTokens,
            promptTokensPerSecond: Double(promptTokens) / bestPrompt, generationTokensPerSecond: decodeRate,
            threads: ThreadPool.shared.threadCount, weightBytesPerToken: bytes,
            memoryBandwidthGBps: bandwidth / 1e9, bandwidthBoundTokensPerSecond: bound, fractionOfBound: decodeRate / bound)
    }
}
