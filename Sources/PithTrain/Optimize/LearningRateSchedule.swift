import Foundation

/// Linear warmup to a peak learning rate, then a cosine decay to a floor: Hugging Face's
/// `get_cosine_schedule_with_warmup` (one half-cycle) with an optional floor.
public struct WarmupCosineSchedule: Sendable, Equatable {
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    /// The rate the cosine ends at (and stays at after totalSteps).
    public var minimum: Double

    public init(peak: Double, warmupSteps: Int, totalSteps: Int, minimum: Double = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimum = minimum
    }

    /// The rate for 0-based `step`: peak·step/warmup while warming up, then
    /// minimum + ½(peak − minimum)(1 + cos(π · progress)), progress running 0 → 1 from warmupSteps to totalSteps.
    public func learningRate(at step: Int) -> Double {
        if step < warmupSteps { return peak * Double(step) / Double(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let progress = min(Double(step - warmupSteps) / Double(span), 1)
        return minimum + 0.5 * (peak - minimum) * (1 + cos(Double.pi * progress))
    }
}
