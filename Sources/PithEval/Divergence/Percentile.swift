/// Percentiles of a sample, by linear interpolation between the closest ranks.
///
/// The definition llama.cpp's `llama-perplexity --kl-divergence` uses (and numpy's default): for a fraction f of n sorted
/// values v, p = f·(n − 1), and the result is (1 − frac(p))·v[⌊p⌋] + frac(p)·v[⌊p⌋ + 1].
public enum Percentile {
    /// The `fraction` (0…1) percentile of values already sorted ascending; nil for an empty sample.
    public static func of(sorted values: [Double], fraction: Double) -> Double? {
        guard let first = values.first, let last = values.last else { return nil }
        if fraction <= 0 { return first }
        if fraction >= 1 { return last }
        let p = fraction * Double(values.count - 1)
        let i = Int(p.rounded(.down))
        let t = p - Double(i)
        return (1 - t) * values[i] + t * values[min(i + 1, values.count - 1)]
    }

    /// The `fraction` percentile of `values` in any order.
    public static func of(_ values: [Double], fraction: Double) -> Double? {
        of(sorted: values.sorted(), fraction: fraction)
    }
}
