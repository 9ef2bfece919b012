extension InputStatistics {
    /// The statistics of X·diag(1/s) from those of X: what a linear sees once scales s are folded into its input's producer.
    func dividing(by scales: [Float]) -> InputStatistics {
        var result = self
        let f = features
        for i in 0..<f {
            for j in 0..<f { result.gram[i * f + j] /= Double(scales[i]) * Double(scales[j]) }
            result.absSum[i] /= Double(scales[i])
            result.absMax[i] /= scales[i]
        }
        for r in 0..<(result.sampleRows.count / max(f, 1)) {
            for i in 0..<f { result.sampleRows[r * f + i] /= scales[i] }
        }
        return result
    }
}
