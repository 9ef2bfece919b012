import Foundation
import Testing
import PithFormats
import PithModels
@testable import PithRuntime

/// A Hugging Face folder (config.json + model.safetensors) of the tiny Llama runs to the same logits as the reference,
/// with the half-split rotary layout Hugging Face checkpoints use.
@Test func huggingFaceFolderRunsLikeTheReference() throws {
    let tiny = try TinyLlama(seed: 3, ropeMode: "half_split")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hf-tiny-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    let config = try JSONEncoder().encode(tiny.config)
    var json = try #require(try JSONSerialization.jsonObject(with: config) as? [String: Any])
    json["model_type"] = "llama"
    try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))

    let graph = try #require(tiny.structure.mainGraph)
    let names = graph.variables.filter(\.isParameter).map(\.name)
    var arrays: [(String, [Int], [Float])] = []
    for name in names {
        let hf = try #require(WeightNames.llamaHuggingFaceName(graph: name))
        arrays.append((hf, try #require(graph.variable(named: name)).shape, try #require(tiny.floats[name])))
    }
    try withTensors(arrays) { tensors in
        try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
    }

    let model = try Model.load(folder.path)
    let executor = try Executor(model: model, maxRows: 8)
    let tokens: [Int32] = [4, 1, 30, 22, 7]
    let out = try executor.run(inputs: ["token_ids": tokens, "positions": [0, 1, 2, 3, 4], "output_rows": [0, 1, 2, 3, 4]],
                               rows: 5, state: executor.makeState(capacity: 8))
    let reference = tiny.referenceLogits(tokens.map { Int($0) })
    #expect(maxDifference(try #require(out["logits"]).values, reference) < f32LogitBudget)
}

/// Hands the writer borrowed f32 buffers for each (name, shape, values).
func withTensors(_ arrays: [(String, [Int], [Float])], _ body: ([SafetensorsWriter.Tensor]) throws -> Void) throws {
    let buffers = arrays.map { a in a.2.withUnsafeBytes { TensorDataBox(bytes: Array($0)) } }
    try withExtendedLifetime(buffers) {
        let tensors: [SafetensorsWriter.Tensor] = zip(arrays, buffers).map { a, b in
            (name: a.0, dtype: .f32, shape: a.1, data: b.pointer)
        }
        try body(tensors)
    }
}

private final class TensorDataBox {
    let storage: UnsafeMutableRawBufferPointer
    var pointer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }
    init(bytes: [UInt8]) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.copyBytes(from: bytes)
    }
    deinit { storage.deallocate() }
}
