import Foundation
import Testing
import PithGraph
import PithModels
import PithTensor
@testable import PithPackaging
@testable import PithRuntime

/// A copy of `model` with a rank-`rank` perturbation added to the named weights, kept in their encoding.
func perturbed(_ model: Model, tensors: [String], rank: Int = 4, strength: Float = 0.02, seed: UInt64 = 9) throws -> Model {
    var rng = SeededGenerator(seed: seed)
    var out = model
    let variables = try #require(model.structure.mainGraph).variablesByName
    for name in tensors {
        let v = try #require(variables[name])
        let type = try #require(v.encoding.ggmlType)
        let (rows, cols) = (v.shape[0], v.shape[1])
        let data = try #require(model.weights[name])
        var w = try type.dequantize(data.bytes, count: rows * cols)
        let u = (0..<(rows * rank)).map { _ in Float.random(in: -1...1, using: &rng) }
        let vt = (0..<(rank * cols)).map { _ in Float.random(in: -1...1, using: &rng) }
        let scale = strength / Float(rank)
        for r in 0..<rows {
            for k in 0..<rank where u[r * rank + k] != 0 {
                let a = u[r * rank + k] * scale
                for c in 0..<cols { w[r * cols + c] += a * vt[k * cols + c] }
            }
        }
        let bytes = try ResidualUpdate.encode(w, type: type)
        out.weights[name] = bytes.withUnsafeBytes { TensorData(copying: $0) }
    }
    return out
}

@Suite(.serialized) struct ResidualUpdateTests {
    @Test func tinyUpdateRebuildsTheTargetAndRefusesAnotherBase() throws {
        let base = try tinyModel(seed: 1)
        let target = try perturbed(base, tensors: ["blk.0.attn_q.weight", "blk.0.ffn_down.weight"], strength: 0.1)
        let dir = temporaryURL("residual")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.pith"), b = dir.appendingPathComponent("b.pith")
        let update = dir.appendingPathComponent("u.pithd"), rebuilt = dir.appendingPathComponent("b2.pith")
        try Packer.pack([base], options: Packer.Options(), to: a)
        try Packer.pack([target], options: Packer.Options(), to: b)
        let report = try ResidualUpdate.make(base: try PackageReader(url: a), target: try PackageReader(url: b), to: update)
        #expect(report.tensorsDelta == 2)
        #expect(report.tensorsSame > 0)
        #expect(report.error.relativeFrobenius < 0.01)
        try ResidualPatch.apply(base: try PackageReader(url: a), update: try PackageReader(url: update), to: rebuilt)
        let model = try PackagedModelLoader.load(try PackageReader(url: rebuilt))
        // Unchanged tensors are bit-identical; changed ones within the recorded error.
        #expect(model.weights["token_embd.weight"].map { Array($0.bytes) } == target.weights["token_embd.weight"].map { Array($0.bytes) })
        let q = try #require(model.weights["blk.0.attn_q.weight"]), t = try #require(target.weights["blk.0.attn_q.weight"])
        let diff = zip(q.floats, t.floats).map { abs($0 - $1) }.max() ?? 1
        #expect(Double(diff) <= report.error.maxAbs + 1e-6)

        // A base that is not the one the update names is refused.
        let other = dir.appendingPathComponent("other.pith")
        try Packer.pack([try tinyModel(seed: 2)], options: Packer.Options(), to: other)
        #expect { try ResidualPatch.apply(base: try PackageReader(url: other), update: try PackageReader(url: update), to: dir.appendingPathComponent("x.pith")) } throws: {
            "\($0)".contains("the update is for base")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.pith").path))
    }

    @Test(.enabled(if: DefaultModels.smolLM2 != nil, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func smolLM2UpdateIsSmallAndKeepsPerplexity() throws {
        let base = try Model.load(try #require(DefaultModels.smolLM2).path)
        let changed = (0..<3).flatMap { ["blk.\($0).attn_q.weight", "blk.\($0).ffn_down.weight"] }
        let target = try perturbed(base, tensors: changed)
        let dir = temporaryURL("residual-smollm2")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.pith"), b = dir.appendingPathComponent("b.pith")
        let update = dir.appendingPathComponent("u.pithd"), rebuilt = dir.appendingPathComponent("b2.pith")
        var options = Packer.Options()
        options.meta = DefaultModels.meta
        try Packer.pack([base], options: options, to: a)
        try Packer.pack([target], options: options, to: b)
        var deltaOptions = ResidualUpdate.Options()
        deltaOptions.coding = .zstd
        let report = try ResidualUpdate.make(base: try PackageReader(url: a), target: try PackageReader(url: b), options: deltaOptions, to: update)
        let ratio = Double(report.updateSize) / Double(report.targetSize)
        print("SmolLM2 residual update: \(report.updateSize) bytes = \(String(format: "%.2f%%", ratio * 100)) of \(report.targetSize); \(report.tensorsDelta) deltas, \(report.tensorsSame) same, \(report.tensorsWhole) whole; max abs \(report.error.maxAbs), rel Frobenius \(report.error.relativeFrobenius)")
        #expect(report.tensorsDelta == changed.count)
        #expect(ratio < 0.1)
        try ResidualPatch.apply(base: try PackageReader(url: a), update: try PackageReader(url: update), to: rebuilt)
        let patched = try PackagedModelLoader.load(try PackageReader(url: rebuilt))
        let text = try String(contentsOf: DefaultModels.tutorialText, encoding: .utf8)
        let p1 = try LanguageModel(model: target, maxBatch: 256).perplexity(text: text, context: 256, maxChunks: 4).perplexity
        let p2 = try LanguageModel(model: patched, maxBatch: 256).perplexity(text: text, context: 256, maxChunks: 4).perplexity
        print("perplexity target \(p1), patched \(p2)")
        #expect(abs(p1 - p2) / p1 < 0.01)
    }
}
