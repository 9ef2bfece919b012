import PithGraph
import PithModels
import PithTensor
import Testing
@testable import PithTrain

/// Frozen weights stored quantized pass gradients to their inputs (streamed, block by block) exactly as the same
/// weights decoded to f32 do, and get none themselves.
@Suite struct FrozenQuantizedTests {
    /// Attention projections in Q8_0 (ggml blocks, decoded 64 rows at a time), FFN weights in a 3-bit Pith scheme
    /// (decoded one weight at a time), everything else f32.
    static func encoding(_ name: String) -> Encoding {
        guard name.hasPrefix("blk."), name.hasSuffix(".weight"), !name.contains("norm") else { return .dense(.f32) }
        return name.contains("ffn_") ? .quantized(QuantScheme(bits: 3, groupSize: 32, symmetric: false)) : .ggml(.q8_0)
    }

    /// The quantized model's weights, and the same weights decoded to f32.
    static func weights(_ structure: ModelStructure, rng: inout SplitMix64) throws -> (quantized: Weights, decoded: Weights) {
        let dense = TinyModels.weights(for: structure.graphs[0], rng: &rng)
        var quantized = Weights(), decoded = Weights()
        for v in structure.graphs[0].variables where v.isParameter {
            let values = Array(try #require(dense[v.name]).floats)
            let cols = v.rowLength, rows = values.count / cols
            switch v.encoding {
            case .ggml(let type):
                var bytes = [UInt8](repeating: 0, count: try #require(v.encoding.byteCount(shape: v.shape)))
                try values.withUnsafeBufferPointer { src in
                    try bytes.withUnsafeMutableBytes { dst in
                        try type.quantize(try #require(src.baseAddress), count: values.count, into: try #require(dst.baseAddress))
                    }
                }
                quantized[v.name] = bytes.withUnsafeBytes { TensorData(copying: $0) }
                decoded[v.name] = TensorData(floats: try bytes.withUnsafeBytes { try type.dequantize($0, count: values.count) })
            case .quantized(let scheme):
                // Random codes and group scales: any valid content will do.
                let groups = rows * cols / scheme.groupSize
                let matrix = try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols,
                                                 codes: (0..<values.count).map { _ in UInt8(rng.next() % 8) },
                                                 scales: (0..<groups).map { _ in Float(0.01 + rng.uniform() * 0.05) },
                                                 mins: (0..<groups).map { _ in Float(rng.symmetric(0.2)) })
                let packed = matrix.pack()  // scales are stored rounded, so decode what is stored
                quantized[v.name] = packed.withUnsafeBytes { TensorData(copying: $0) }
                decoded[v.name] = TensorData(floats: try packed.withUnsafeBytes {
                    try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols).dequantize()
                })
            default:
                quantized[v.name] = dense[v.name]
                decoded[v.name] = dense[v.name]
            }
        }
        return (quantized, decoded)
    }

    @Test func quantizedFrozenWeightsPassTheirInputsGradients() throws {
        let quantizedStructure = TinyModels.llamaStructure(encoding: Self.encoding)
        let denseStructure = TinyModels.llamaStructure()
        var rng = SplitMix64(seed: 21)
        let (quantized, decoded) = try Self.weights(quantizedStructure, rng: &rng)
        let (inputs, labels) = TinyModels.llamaBatch(vocab: TinyModels.llamaConfig.vocabSize, rng: &rng)
        // Only the norms and the embedding train (a QLoRA-like split): every gradient crosses the frozen projections.
        let trainable: (String) -> Bool = { $0.contains("norm") || $0 == "token_embd.weight" }
        func run(_ structure: ModelStructure, _ weights: Weights) throws -> (Double, Gradients<Float>) {
            let engine = try GradientEngine<Float>(structure: structure, weights: weights, isTrainable: trainable)
            let batch = TrainingBatch<Float>(integers: inputs, rows: labels.count, sequences: TinyModels.llamaSequences)
            return try engine.gradients(batch) { tape in
                guard let logits = tape.output("logits") else { throw TrainingError("no logits") }
                let l = try CrossEntropyLoss().causalLM(logits: logits, labels: labels, sequences: TinyModels.llamaSequences)
                return (l.value, ["logits": l.gradient])
            }
        }
        let (quantizedLoss, fromQuantized) = try run(quantizedStructure, quantized)
        let (decodedLoss, fromDecoded) = try run(denseStructure, decoded)
        #expect(abs(quantizedLoss - decodedLoss) <= 1e-6 * decodedLoss)
        #expect(Set(fromQuantized.parameters.keys) == Set(fromDecoded.parameters.keys))
        #expect(fromQuantized.parameters["blk.0.attn_q.weight"] == nil)  // frozen: no gradient
        var worst = 0.0
        for (name, g) in fromQuantized.parameters {
            worst = max(worst, relativeError(g, try #require(fromDecoded.parameters[name])))
        }
        print("frozen quantized vs decoded f32: loss \(quantizedLoss) vs \(decodedLoss), worst gradient error \(worst)")
        #expect(worst <= 1e-5)
    }
}
