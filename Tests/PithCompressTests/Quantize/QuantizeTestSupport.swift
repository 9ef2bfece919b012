import Foundation
import PithTensor
@testable import PithCompress

/// Seeded Gaussian and uniform numbers for the synthetic layers.
struct TestRandom {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func uniform() -> Float { Float(generator.next() >> 40) / Float(1 << 24) }

    /// N(0, 1) by Box–Muller.
    mutating func gaussian() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    mutating func gaussians(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in gaussian() * scale } }
}

/// A synthetic layer input: X = Z·A (tokens, features) with a random mixing A (so features correlate) and a few
/// channels with much larger magnitude (`salient`, ×`salientScale`), as in real transformer activations.
func correlatedInputs(tokens: Int, features: Int, salient: [Int] = [], salientScale: Float = 10, seed: UInt64 = 1) -> [Float] {
    var random = TestRandom(seed: seed)
    let latent = max(features / 2, 1)
    let z = random.gaussians(tokens * latent)
    let a = random.gaussians(latent * features, scale: 1 / Float(latent).squareRoot())
    var x = [Float](repeating: 0, count: tokens * features)
    for t in 0..<tokens {
        for k in 0..<latent where z[t * latent + k] != 0 {
            let zk = z[t * latent + k]
            for j in 0..<features { x[t * features + j] += zk * a[k * features + j] }
        }
        // A little independent noise keeps XXᵀ well conditioned.
        for j in 0..<features { x[t * features + j] += 0.1 * random.gaussian() }
        for j in salient { x[t * features + j] *= salientScale }
    }
    return x
}

func statistics(of x: [Float], features: Int, keepSampleRows: Int = 512, keepGram: Bool = true) -> InputStatistics {
    var s = InputStatistics(features: features, keepSampleRows: keepSampleRows, keepGram: keepGram)
    x.withUnsafeBufferPointer { s.accumulate($0.baseAddress!, count: x.count / features) }
    return s
}

/// ‖(W − Ŵ) Xᵀ‖² / tokens by plain loops in f64 (the independent reference for `outputError`).
func referenceOutputError(_ w: [Float], _ approximation: [Float], rows: Int, cols: Int, x: [Float]) -> Double {
    let tokens = x.count / cols
    var total: Double = 0
    for r in 0..<rows {
        for t in 0..<tokens {
            var y: Double = 0
            for j in 0..<cols { y += Double(approximation[r * cols + j] - w[r * cols + j]) * Double(x[t * cols + j]) }
            total += y * y
        }
    }
    return total / Double(tokens)
}

/// The default model, when fetched (`make models`).
enum RealModel {
    static var url: URL? {
        let home = ProcessInfo.processInfo.environment["PITH_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            .map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pith")
        let url = home.appendingPathComponent("models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
    static var present: Bool { url != nil }
}
