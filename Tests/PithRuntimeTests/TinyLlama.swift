import Foundation
import PithGraph
import PithModels
import PithTensor
@testable import PithRuntime

/// A tiny Llama with random weights, built through the real builder, plus a plain-loop reference forward pass.
struct TinyLlama {
    let config = LlamaConfiguration(hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2, numAttentionHeads: 4,
                                    numKeyValueHeads: 2, rmsNormEps: 1e-5, ropeTheta: 10_000, vocabSize: 50,
                                    maxPositionEmbeddings: 64, tieWordEmbeddings: true)
    let ropeMode: String
    var floats: [String: [Float]] = [:]
    let structure: ModelStructure
    let weights: Weights

    /// - Parameter linearType: how linear weights are stored (f32, or a ggml block type with a native kernel).
    init(seed: UInt64 = 7, ropeMode: String = "interleaved", linearType: GGMLType = .f32) throws {
        self.ropeMode = ropeMode
        var rng = SplitMix(seed: seed)
        let graph = LlamaBuilder(config: config, ropeMode: ropeMode).build { name in
            linearType != .f32 && name.hasSuffix(".weight") && !name.contains("norm") && name != "token_embd.weight"
                ? .ggml(linearType) : .dense(.f32)
        }
        var weights = Weights()
        for v in graph.variables where v.isParameter {
            let n = v.elementCount ?? 0
            let isNorm = v.name.contains("norm")
            var values = (0..<n).map { _ in isNorm ? 1 + 0.1 * rng.normal() : 0.15 * rng.normal() }
            if case .ggml(let t) = v.encoding {
                // Store quantized, and keep the dequantized values as the reference's weights.
                var blocks = [UInt8](repeating: 0, count: t.rowBytes(elements: n) ?? 0)
                try values.withUnsafeBufferPointer { src in
                    try blocks.withUnsafeMutableBytes { dst in try t.quantize(src.baseAddress!, count: n, into: dst.baseAddress!) }
                }
                try blocks.withUnsafeBytes { src in
                    try values.withUnsafeMutableBufferPointer { dst in try t.dequantize(src, count: n, into: dst.baseAddress!) }
                }
                weights[v.name] = blocks.withUnsafeBytes { TensorData(copying: $0) }
            } else {
                weights[v.name] = TensorData(floats: values)
            }
            floats[v.name] = values
        }
        self.weights = weights
        structure = ModelStructure(name: "tiny", architecture: "llama", family: .decoderOnly, origin: "test", graphs: [graph])
    }

    // MARK: - Reference forward (plain loops, no kernels)

    /// Logits (tokens × vocab) for a whole sequence from scratch.
    func referenceLogits(_ tokens: [Int]) -> [[Float]] {
        let d = config.hiddenSize, hd = config.resolvedHeadDim, nh = config.numAttentionHeads, nkv = config.kvHeads
        var x = tokens.map { Array(floats["token_embd.weight"]![($0 * d)..<(($0 + 1) * d)]) }
        for l in 0..<config.numHiddenLayers {
            let p = "blk.\(l)."
            let h = x.map { rmsNorm($0, floats[p + "attn_norm.weight"]!) }
            var q = h.map { matvec(floats[p + "attn_q.weight"]!, $0, rows: nh * hd) }
            var k = h.map { matvec(floats[p + "attn_k.weight"]!, $0, rows: nkv * hd) }
            let v = h.map { matvec(floats[p + "attn_v.weight"]!, $0, rows: nkv * hd) }
            for t in tokens.indices {
                q[t] = rope(q[t], heads: nh, position: t)
                k[t] = rope(k[t], heads: nkv, position: t)
            }
            var att = [[Float]](repeating: [Float](repeating: 0, count: nh * hd), count: tokens.count)
            for t in tokens.indices {
                for head in 0..<nh {
                    let kvh = head / (nh / nkv)
                    var scores = (0...t).map { s -> Float in
                        var dot: Float = 0
                        for i in 0..<hd { dot += q[t][head * hd + i] * k[s][kvh * hd + i] }
                        return dot / Float(hd).squareRoot()
                    }
                    let m = scores.max()!
                    scores = scores.map { exp($0 - m) }
                    let z = scores.reduce(0, +)
                    for s in 0...t { for i in 0..<hd { att[t][head * hd + i] += scores[s] / z * v[s][kvh * hd + i] } }
                }
            }
            for t in tokens.indices {
                let o = matvec(floats[p + "attn_output.weight"]!, att[t], rows: d)
                x[t] = zip(x[t], o).map(+)
                let f = rmsNorm(x[t], floats[p + "ffn_norm.weight"]!)
                let g = matvec(floats[p + "ffn_gate.weight"]!, f, rows: config.intermediateSize)
                let u = matvec(floats[p + "ffn_up.weight"]!, f, rows: config.intermediateSize)
                let a = zip(g, u).map { $0 / (1 + exp(-$0)) * $1 }
                x[t] = zip(x[t], matvec(floats[p + "ffn_down.weight"]!, a, rows: d)).map(+)
            }
        }
        return x.map { matvec(floats["token_embd.weight"]!, rmsNorm($0, floats["output_norm.weight"]!), rows: config.vocabSize) }
    }

    func rmsNorm(_ x: [Float], _ w: [Float]) -> [Float] {
        let ms = x.reduce(0) { $0 + $1 * $1 } / Float(x.count)
        let s = 1 / (ms + Float(config.rmsNormEps)).squareRoot()
        return zip(x, w).map { $0 * s * $1 }
    }

    func matvec(_ w: [Float], _ x: [Float], rows: Int) -> [Float] {
        let cols = x.count
        return (0..<rows).map { r in (0..<cols).reduce(Float(0)) { $0 + w[r * cols + $1] * x[$1] } }
    }

    func rope(_ x: [Float], heads: Int, position: Int) -> [Float] {
        let hd = config.resolvedHeadDim
        var y = x
        for h in 0..<heads {
            for i in 0..<(hd / 2) {
                let theta = Double(position) * pow(config.ropeTheta, -2 * Double(i) / Double(hd))
                let (a, b) = ropeMode == "interleaved" ? (h * hd + 2 * i, h * hd + 2 * i + 1) : (h * hd + i, h * hd + i + hd / 2)
                let c = Float(cos(theta)), s = Float(sin(theta))
                y[a] = x[a] * c - x[b] * s
                y[b] = x[a] * s + x[b] * c
            }
        }
        return y
    }
}

/// A small deterministic generator for test weights.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
