import Testing
import PithTensor
import PithFormats
@testable import PithCompress

/// Acceptance: RTN on a dequantized ggml tensor gives back its exact bytes (the default model ships as Q4_1).
@Suite struct GGMLBitExactTests {
    static let tensors = ["blk.0.attn_q.weight", "blk.5.ffn_down.weight", "blk.29.ffn_gate.weight"]

    static func load(_ name: String) throws -> (info: GGUFTensorInfo, file: GGUFFile)? {
        guard let url = RealModel.url else { return nil }
        let file = try GGUFFile(url: url)
        guard let info = file.tensors.first(where: { $0.name == name }) else { return nil }
        return (info, file)
    }

    @Test(.enabled(if: RealModel.present, "SmolLM2-135M-Instruct.Q4_1.gguf not fetched"), arguments: tensors)
    func asymmetricInt4G32ReproducesQ4_1Bytes(name: String) throws {
        let (info, file) = try #require(try Self.load(name))
        try #require(info.type == .q4_1)
        let rows = info.rowCount, cols = info.rowLength
        let original = Array(file.data(for: info).bytes)
        let w = try file.dequantize(info)
        let m = try RTN.quantize(w, rows: rows, cols: cols, scheme: QuantScheme(bits: 4, groupSize: 32, symmetric: false))
        let packed = m.pack()
        #expect(packed.count == original.count)
        let differing = zip(packed, original).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing.isEmpty, "\(name): \(differing.count) bytes differ, first at \(differing.first ?? -1)")
    }

    @Test(.enabled(if: RealModel.present, "SmolLM2-135M-Instruct.Q4_1.gguf not fetched"), arguments: tensors)
    func symmetricInt4G32ReproducesQ4_0Bytes(name: String) throws {
        let (info, file) = try #require(try Self.load(name))
        let rows = info.rowCount, cols = info.rowLength
        let w = try file.dequantize(info)
        let rowBytes = try #require(GGMLType.q4_0.rowBytes(elements: cols))
        var q4_0 = [UInt8](repeating: 0, count: rows * rowBytes)
        try w.withUnsafeBufferPointer { src in
            try q4_0.withUnsafeMutableBytes { try GGMLType.q4_0.quantize(src.baseAddress!, count: w.count, into: $0.baseAddress!) }
        }
        let v = try q4_0.withUnsafeBytes { try GGMLType.q4_0.dequantize($0, count: w.count) }
        let m = try RTN.quantize(v, rows: rows, cols: cols, scheme: QuantScheme(bits: 4, groupSize: 32, symmetric: true))
        let packed = m.pack()
        let differing = zip(packed, q4_0).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(packed.count == q4_0.count)
        #expect(differing.isEmpty, "\(name): \(differing.count) bytes differ, first at \(differing.first ?? -1)")
    }

    @Test(.enabled(if: RealModel.present, "SmolLM2-135M-Instruct.Q4_1.gguf not fetched"))
    func everyQ4_1TensorOfTheModel() throws {
        let file = try GGUFFile(url: try #require(RealModel.url))
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        var checked = 0
        for info in file.tensors where info.type == .q4_1 {
            let m = try RTN.quantize(try file.dequantize(info), rows: info.rowCount, cols: info.rowLength, scheme: scheme)
            #expect(m.pack().elementsEqual(file.data(for: info).bytes), "\(info.name)")
            checked += 1
        }
        #expect(checked >= 210)  // 30 blocks × 7 linears, at least
    }

    /// The same on synthetic blocks, run with or without the model: Q4_0, Q4_1 and Q8_0-sized int8 from ggml's encoder.
    @Test func syntheticGGMLBlocksRoundTrip() throws {
        var random = TestRandom(seed: 21)
        var w = random.gaussians(64 * 256, scale: 0.03)
        for i in stride(from: 5, to: w.count, by: 97) { w[i] *= 10 }
        for j in 0..<32 { w[32 * 7 + j] = 0 }  // an all-zero block
        for j in 0..<32 { w[32 * 9 + j] = 0.125 }  // a constant block
        for (type, symmetric) in [(GGMLType.q4_0, true), (GGMLType.q4_1, false)] {
            let rowBytes = try #require(type.rowBytes(elements: 256))
            var bytes = [UInt8](repeating: 0, count: 64 * rowBytes)
            try w.withUnsafeBufferPointer { src in
                try bytes.withUnsafeMutableBytes { try type.quantize(src.baseAddress!, count: w.count, into: $0.baseAddress!) }
            }
            let v = try bytes.withUnsafeBytes { try type.dequantize($0, count: w.count) }
            let m = try RTN.quantize(v, rows: 64, cols: 256, scheme: QuantScheme(bits: 4, groupSize: 32, symmetric: symmetric))
            #expect(m.pack() == bytes, "\(type)")
        }
    }
}
