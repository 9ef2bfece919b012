import Foundation
import PithGraph
import PithTensor

/// Sentence-embedding throughput, with this machine's GEMM speed measured in the same run as the yardstick.
public struct EmbeddingBenchmarkResult: Codable, Sendable {
    public var sentences: Int
    public var tokens: Int
    /// Rows actually run, padding included.
    public var paddedTokens: Int
    public var seconds: Double
    public var sentencesPerSecond: Double
    public var tokensPerSecond: Double
    /// Linear-layer FLOPs per second achieved over the real tokens.
    public var achievedGFLOPs: Double
    /// The f32 linear kernel alone on an FFN-shaped product (2048 tokens × hidden → 4·hidden), measured just before.
    public var sgemmGFLOPs: Double
    public var threads: Int

    enum CodingKeys: String, CodingKey {
        case sentences, tokens, seconds, threads
        case paddedTokens = "padded_tokens"
        case sentencesPerSecond = "sentences_per_s", tokensPerSecond = "tokens_per_s"
        case achievedGFLOPs = "achieved_gflop_s", sgemmGFLOPs = "sgemm_gflop_s"
    }
}

extension EmbeddingModel {
    /// Embeds `texts` (tokenized first, not timed) in batches, best of `repetitions`.
    public func benchmark(texts: [String], repetitions: Int = 3) throws -> EmbeddingBenchmarkResult {
        let sequences = try texts.map(tokenize)
        let tokens = sequences.reduce(0) { $0 + $1.count }
        let gemm = Self.measureSGEMM(rows: 2048, inner: dimension, columns: 4 * dimension)
        var best = Double.infinity
        for _ in 0..<max(repetitions, 1) {
            let start = ContinuousClock.now
            _ = try embed(tokenized: sequences)
            best = min(best, (ContinuousClock.now - start).seconds)
        }
        let stats = GraphStatistics(graph: executor.graph)
        let padded = paddedRows(sequences)
        return EmbeddingBenchmarkResult(
            sentences: texts.count, tokens: tokens, paddedTokens: padded, seconds: best,
            sentencesPerSecond: Double(texts.count) / best, tokensPerSecond: Double(tokens) / best,
            achievedGFLOPs: Double(stats.total.linearFLOPsPerToken) * Double(tokens) / best / 1e9,
            sgemmGFLOPs: gemm, threads: ThreadPool.shared.threadCount)
    }

    /// Rows the batching runs for these sequences, padding included (the same grouping as `embed`).
    func paddedRows(_ sequences: [[Int32]]) -> Int {
        let lengths = sequences.map { max(min($0.count, maxLength), 1) }.sorted(by: >)
        var start = 0, rows = 0
        while start < lengths.count {
            let fit = max(min(batchSize, executor.maxRows / lengths[start]), 1)
            let count = min(fit, lengths.count - start)
            rows += count * lengths[start]
            start += count
        }
        return rows
    }

    /// GFLOP/s of the f32 linear kernel (BLAS sgemm underneath) on (rows × inner) · (columns × inner)ᵀ, best of a few runs.
    static func measureSGEMM(rows: Int, inner: Int, columns: Int) -> Double {
        let x = (0..<(rows * inner)).map { Float($0 % 7) * 0.125 }, w = (0..<(columns * inner)).map { Float($0 % 5) * 0.25 }
        var y = [Float](repeating: 0, count: rows * columns)
        var best = Double.infinity
        for _ in 0..<8 {
            let start = ContinuousClock.now
            x.withUnsafeBufferPointer { x in
                w.withUnsafeBytes { w in
                    y.withUnsafeMutableBufferPointer { y in
                        guard let px = x.baseAddress, let pw = w.baseAddress, let py = y.baseAddress else { return }
                        Kernels.linear(weight: pw, type: .f32, rows: columns, cols: inner, input: px, tokens: rows, output: py)
                    }
                }
            }
            best = min(best, (ContinuousClock.now - start).seconds)
        }
        return 2 * Double(rows * inner * columns) / best / 1e9
    }
}
