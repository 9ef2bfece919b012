import Foundation
import PithTensor
@testable import PithPackaging

/// Deterministic data for the coding tests (SplitMix64, so failures reproduce).
struct CodingRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }

    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self), u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }

    /// `count` weights like a linear layer's: Gaussian, scaled per row of 256, with a rare outlier.
    mutating func weights(_ count: Int) -> [Float] {
        var scale: Float = 0.02
        return (0..<count).map { i in
            if i % 256 == 0 { scale = Float.random(in: 0.01...0.05, using: &self) }
            let outlier: Float = Int.random(in: 0..<1000, using: &self) == 0 ? 8 : 1
            return gaussian() * scale * outlier
        }
    }
}

enum CodingFixtures {
    /// `weights` quantized to `type` with PithTensor's reference quantizer.
    static func quantized(_ weights: [Float], _ type: GGMLType) throws -> [UInt8] {
        let size = type.rowBytes(elements: weights.count)!
        var out = [UInt8](repeating: 0, count: size)
        try weights.withUnsafeBufferPointer { w in
            try out.withUnsafeMutableBytes { try type.quantize(w.baseAddress!, count: weights.count, into: $0.baseAddress!) }
        }
        return out
    }

    static func roundTrip(_ bytes: [UInt8], _ type: GGMLType, _ options: TensorCoder.Options = .init()) throws -> (coded: [UInt8], decoded: [UInt8]) {
        let coded = try bytes.withUnsafeBytes { try TensorCoder.encode($0, type: type, options: options) }
        let decoded = try coded.withUnsafeBytes { try TensorCoder.decode($0, type: type, originalSize: bytes.count) }
        return (coded, decoded)
    }
}
