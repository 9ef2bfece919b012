import Foundation
import PithTensor

/// AWQ (Lin et al. 2023, "AWQ: Activation-aware Weight Quantization"): scale up the input channels that carry large
/// activations before rounding, so their weights lose less, and fold the inverse scale into the producer of X.
///
/// Losses are the output error ‖(Ŵ − W)X‖² per token, summed over the layers: exact over all calibration tokens from
/// the Gram matrix (where llm-awq uses a sample of the block's outputs), or over the sample rows without it.
public enum AWQ {
    /// Floor of the mean magnitudes before raising them to α (llm-awq clamps at 1e-4 likewise).
    static let minimumMagnitude: Float = 1e-4

    /// Searches per-input-channel scales s = max(mean|x|, 1e-4)^α, normalised by √(max s · min s), for linear layers
    /// that share one input (e.g. q, k, v or gate, up), minimising Σ_layers ‖(Q(W·diag(s))·diag(1/s) − W) X‖² / n.
    ///
    /// α = 0 (s = 1, plain round-to-nearest) is always a candidate, so the result is never worse than RTN.
    /// - Returns: s (cols values; the caller multiplies each W's columns by s and divides the producer of X, e.g. an
    ///   RMSNorm weight, by s), the best α, and its loss.
    public static func searchScales(weights: [[Float]], rows: [Int], cols: Int, scheme: QuantScheme,
                                    statistics: InputStatistics, options: AWQOptions = .init()) throws
        -> (scales: [Float], alpha: Double, loss: Double) {
        try options.validate()
        guard !weights.isEmpty, weights.count == rows.count else {
            throw QuantizationError("awq: \(weights.count) weights with \(rows.count) row counts")
        }
        for (k, w) in weights.enumerated() {
            try QuantizationInput.validate(w, rows: rows[k], cols: cols, scheme: scheme, name: "awq weights[\(k)]")
        }
        try QuantizationInput.validate(statistics, cols: cols, needsGram: false)
        let loss = OutputLoss(statistics, maxSampleRows: options.maxSampleRows)
        guard loss.useGram || statistics.sampleCount > 0 else {
            throw QuantizationError("awq: input statistics hold neither a Gram matrix nor sample rows")
        }
        let mean = statistics.absSum.map { Float($0 / Double(statistics.tokens)) }

        var best: (scales: [Float], alpha: Double, loss: Double)?
        for i in 0..<options.grid {
            let alpha = Double(i) / Double(options.grid)
            var s = mean.map { Float(pow(Double(max($0, minimumMagnitude)), alpha)) }
            let norm = ((s.max() ?? 1) * (s.min() ?? 1)).squareRoot()
            s = s.map { $0 / norm }
            guard s.allSatisfy({ $0.isFinite && $0 > 0 }),
                  let total = try? scaledLoss(weights, rows: rows, cols: cols, scheme: scheme, scales: s, loss: loss)
            else { continue }
            if total < best?.loss ?? .infinity { best = (s, alpha, total) }
        }
        guard let best else { throw QuantizationError("awq: no scale candidate could be quantized with \(scheme)") }
        return best
    }

    /// Σ_layers ‖(Q(W·diag(s))·diag(1/s) − W) X‖² / n.
    static func scaledLoss(_ weights: [[Float]], rows: [Int], cols: Int, scheme: QuantScheme, scales s: [Float],
                           loss: OutputLoss) throws -> Double {
        var total: Double = 0
        for (k, w) in weights.enumerated() {
            var scaled = w
            for i in 0..<scaled.count { scaled[i] *= s[i % cols] }
            guard scaled.allSatisfy({ $0.isFinite }) else { throw QuantizationError("awq: scaled weight overflows") }
            let q = try RTN.quantizeValidated(scaled, rows: rows[k], cols: cols, scheme: scheme, shrinks: [1],
                                              importance: nil).dequantize()
            var delta = q
            for i in 0..<delta.count { delta[i] = q[i] / s[i % cols] - w[i] }
            total += loss.total(delta, rows: rows[k])
        }
        return total
    }
}
