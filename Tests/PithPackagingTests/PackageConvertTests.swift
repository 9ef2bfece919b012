import Foundation
import Testing
import PithFormats
import PithModels
import PithTensor
@testable import PithPackaging
@testable import PithRuntime

/// `pith unpack --to gguf|safetensors` for a package with no source file to rebuild (a model built or rewritten in
/// memory): the model is exported from its graph and weights, and the file runs as the package does.
@Suite struct PackageConvertTests {
    /// `tinyModel` with weights of both signs and larger heads, so attention (and a wrong q/k row order) shows in logits.
    static func model(seed: UInt64) throws -> Model {
        var model = try tinyModel(seed: seed)
        for (name, data) in model.weights.tensors where !name.contains("norm") {
            model.weights[name] = TensorData(floats: data.floats.map { ($0 - 0.25) * 8 })
        }
        return model
    }

    static func logits(_ model: Model) throws -> [Float] {
        let executor = try Executor(model: model, maxRows: 8)
        let tokens: [Int32] = [3, 1, 20, 7, 7]
        let rows = (0..<tokens.count).map { Int32($0) }
        return try #require(try executor.run(inputs: ["token_ids": tokens, "positions": rows, "output_rows": rows], rows: tokens.count,
                                             state: executor.makeState(capacity: 8))["logits"]).values
    }

    @Test func aNativeLayoutPackageUnpacksToARunnableGGUF() throws {
        let model = try Self.model(seed: 9)
        let url = temporaryURL("tiny-native.pith")
        let out = temporaryURL("tiny-gguf")
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: out) }
        try Packer.pack([model], options: Packer.Options(), to: url)
        let written = try Unpacker.unpack(try PackageReader(url: url), to: out, target: .gguf)
        #expect(written.contains("Model/model-0.gguf"))
        let gguf = out.appendingPathComponent("Model/model-0.gguf")
        let file = try GGUFFile(url: gguf)
        #expect(file.string("general.architecture") == "llama" && file.string("general.license") == "mit")
        let reloaded = try Model.load(gguf.path)
        let (a, b) = (try Self.logits(model), try Self.logits(reloaded))
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func aNativeLayoutPackageUnpacksToAHuggingFaceFolder() throws {
        let model = try Self.model(seed: 10)
        let url = temporaryURL("tiny-native-hf.pith")
        let out = temporaryURL("tiny-hf")
        defer { try? FileManager.default.removeItem(at: url); try? FileManager.default.removeItem(at: out) }
        try Packer.pack([model], options: Packer.Options(), to: url)
        let written = try Unpacker.unpack(try PackageReader(url: url), to: out, target: .safetensors)
        #expect(written.filter { $0.hasPrefix("Model/") } == ["Model/model-0/config.json", "Model/model-0/model.safetensors"])
        let reloaded = try Model.load(out.appendingPathComponent("Model/model-0").path)
        let (a, b) = (try Self.logits(model), try Self.logits(reloaded))
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 })
    }
}
