import Foundation
import Testing
import PithFormats
import PithGraph
import PithTensor
@testable import PithModels

/// Double-quantized int weights in GGUF: int4 g32 asym in super-blocks of 256 is written as Q4_K (same arithmetic,
/// d·sc·q − dmin·m), other rows re-block losslessly through their plain expansion; both read back to the same values.
@Suite struct GGUFExporterKQuantTests {
    static let q4dq = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)

    /// A one-layer Llama of width 256 (rows of 256 and 512: super-blocks of 256) with every 2-D weight in `scheme`.
    static func model(_ scheme: QuantScheme) throws -> Model {
        let config = LlamaConfiguration(hiddenSize: 256, intermediateSize: 512, numHiddenLayers: 1, numAttentionHeads: 4,
                                        numKeyValueHeads: 2, rmsNormEps: 1e-5, ropeTheta: 10_000, vocabSize: 32,
                                        maxPositionEmbeddings: 128, tieWordEmbeddings: false)
        let graph = LlamaBuilder(config: config, ropeMode: "interleaved").build { name in
            name.hasSuffix("norm.weight") ? .dense(.f32) : .quantized(scheme)
        }
        var weights = Weights()
        for v in graph.variables where v.isParameter {
            let n = try #require(v.elementCount)
            if case .quantized(let s) = v.encoding {
                let cols = v.shape[1]
                weights[v.name] = try quantizedBytes(s, rows: n / cols, cols: cols).withUnsafeBytes { TensorData(copying: $0) }
            } else {
                weights[v.name] = TensorData(floats: (0..<n).map { 1 + Float($0 % 7) / 100 })
            }
        }
        let structure = ModelStructure(name: "tiny k-quant", architecture: "llama", family: .decoderOnly, origin: "test",
                                       graphs: [graph], metadata: ["general.license": "mit"])
        return Model(structure: structure, weights: weights, tokenizer: nil, source: URL(fileURLWithPath: "/nonexistent/tiny"),
                     contextLength: 128)
    }

    @Test func int4G32AsymDQIsWrittenAsQ4_KAndReadsBackEqual() throws {
        let url = temporaryGGUF("q4k")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try Self.model(Self.q4dq)
        try GGUFExporter.export(model: model, to: url)  // no fallback needed: Q4_K holds these values exactly
        let file = try GGUFFile(url: url)
        var checked = 0
        for v in try #require(model.structure.mainGraph).variables where v.isParameter && v.shape.count == 2 {
            let t = try #require(file.tensor(named: v.name))
            #expect(t.type == .q4_K, "\(v.name)")
            let count = try #require(v.elementCount)
            let values = try t.type.dequantize(file.data(for: t).bytes, count: count)
            let expected = try QuantizedMatrix(unpacking: try #require(model.weights[v.name]).bytes, scheme: Self.q4dq,
                                               rows: count / v.shape[1], cols: v.shape[1]).dequantize()
            #expect(values == expected, "\(v.name)")
            checked += 1
        }
        #expect(checked == 9)  // token_embd, q, k, v, o, gate, up, down, output
    }

    @Test func otherDoubleQuantizedSchemesReblockLosslesslyOnRequest() throws {
        let url = temporaryGGUF("dq-reblock")
        defer { try? FileManager.default.removeItem(at: url) }
        for (bits, symmetric) in [(4, false), (3, false), (5, false), (4, true), (6, true)] {
            let scheme = QuantScheme(bits: bits, groupSize: 32, symmetric: symmetric, doubleQuantization: true)
            // ffn_gate is (96, 64): super-blocks of 64, not Q4_K.
            let model = try exporterTinyModel(ropeMode: "interleaved") { $0 == "blk.0.ffn_gate.weight" ? .quantized(scheme) : .dense(.f32) }
            #expect(failure { try GGUFExporter.export(model: model, to: url) } != nil, "\(scheme) needs the fallback")
            try GGUFExporter.export(model: model, to: url, fallback: .lossless)
            let file = try GGUFFile(url: url)
            let gate = try #require(file.tensor(named: "blk.0.ffn_gate.weight"))
            #expect(gate.type == GGUFExporter.reblockedType(for: scheme))
            let values = try gate.type.dequantize(file.data(for: gate).bytes, count: 96 * 64)
            #expect(values == (try quantizedMatrix(scheme, rows: 96, cols: 64).dequantize()), "\(scheme) as \(gate.type.name)")
        }
    }
}
