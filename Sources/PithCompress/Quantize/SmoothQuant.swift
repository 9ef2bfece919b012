import Foundation

/// SmoothQuant (Xiao et al. 2023): migrate activation outliers into the weights before W8A8, per input channel.
public enum SmoothQuant {
    /// Floor of the weight maxima and of the scales (the reference clamps both at 1e-5).
    static let floor: Float = 1e-5

    /// s_j = max|X_j|^α / max_i |W_ij|^(1−α), the weight maximum over all layers sharing the input, clamped ≥ 1e-5.
    ///
    /// The caller divides X (the producer, e.g. a norm weight) by s and multiplies each W's columns by s.
    /// Missing values (a short `activationAbsMax`, a layer with fewer values than rows·cols) count as 0, and
    /// non-finite ones are skipped, so the result always has `cols` positive finite values.
    public static func scales(activationAbsMax: [Float], weights: [[Float]], rows: [Int], cols: Int,
                              alpha: Double = 0.5) -> [Float] {
        guard cols > 0 else { return [] }
        var weightMax = [Float](repeating: 0, count: cols)
        for (k, w) in weights.enumerated() {
            let n = min(w.count, (k < rows.count ? max(rows[k], 0) : 0) * cols)
            for i in 0..<n where w[i].isFinite { weightMax[i % cols] = max(weightMax[i % cols], abs(w[i])) }
        }
        let a = alpha.isFinite ? min(max(alpha, 0), 1) : 0.5
        return (0..<cols).map { j in
            let x = j < activationAbsMax.count && activationAbsMax[j].isFinite ? Double(abs(activationAbsMax[j])) : 0
            let w = Double(max(weightMax[j], floor))
            let s = Float(pow(x, a) / pow(w, 1 - a))
            return s.isFinite ? max(s, floor) : floor
        }
    }
}
