import Foundation
import Testing
import PithFormats
import PithGraph
import PithModels
import PithTensor
@testable import PithCompress
@testable import PithRuntime

/// Untrusted numbers, sizes, patterns and files (issue 16): each class is refused in one line before anything is
/// allocated or run.
@Suite struct HardeningTests {
    // MARK: - Sizes

    @Test func sizesThatOverflowOrExceedMemoryAreRefused() {
        #expect(MemoryBudget.product(1 << 40, 1 << 30) == nil)
        #expect(MemoryBudget.product(3, -1) == nil)
        #expect(MemoryBudget.product(4, 1024, 1024) == 4 << 20)
        #expect(throws: LimitError.self) { try MemoryBudget.require(nil, for: "x") }
        #expect(throws: LimitError.self) { try MemoryBudget.require(1 << 62, for: "a section") }
        #expect(throws: Never.self) { try MemoryBudget.require(1 << 20, for: "a megabyte") }
    }

    @Test func aContextBeyondTheTrainedOneAndAbsurdBeamsAreRefused() throws {
        let model = tinyLlama()  // trained context 128
        let executor = try Executor(model: model, maxRows: 8)
        #expect(throws: LimitError.self) { try executor.requireStates(capacity: Int.max / 2, count: 4) }
        #expect(throws: Never.self) { try executor.requireStates(capacity: 128) }
        #expect(throws: LimitError.self) { try Executor(model: model, maxRows: Int.max / 8) }
    }

    // MARK: - Hyper-parameters and outputs that are not finite

    @Test func nonFiniteOrNegativeHyperParametersAreRefusedNamingTheKey() throws {
        for (eps, theta) in [(Double.nan, 10_000.0), (-1e-5, 10_000), (1e-5, .nan), (1e-5, -1), (1e-5, .infinity)] {
            let config = LlamaConfiguration(hiddenSize: 64, intermediateSize: 128, numHiddenLayers: 1, numAttentionHeads: 4,
                                            rmsNormEps: eps, ropeTheta: theta, vocabSize: 96)
            #expect(throws: ModelError.self, "eps \(eps) theta \(theta)") { try config.validate() }
        }
        var graph = tinyLlama().structure.graphs[0]
        let i = try #require(graph.operators.firstIndex { $0.type == "rms_norm" })
        graph.operators[i].attributes["epsilon"] = .float(-1)
        #expect(throws: GraphValidator.Failure.self) { try GraphValidator().validate(graph) }
        graph.operators[i].attributes["epsilon"] = .float(.nan)
        #expect(throws: GraphValidator.Failure.self) { try GraphValidator().validate(graph) }
    }

    @Test func aNaNWeightStopsTheRunNamingTheBlockThatProducedIt() throws {
        var model = tinyLlama()
        let name = "blk.1.ffn_down.weight"
        var values = Array(try #require(model.weights[name]).floats)
        values[7] = .nan
        model.weights[name] = TensorData(floats: values)
        let executor = try Executor(model: model, maxRows: 4)
        let tokens: [Int32] = [1, 2, 3]
        let inputs: [String: [Int32]] = ["token_ids": tokens, "positions": [0, 1, 2], "output_rows": [0, 1, 2]]
        let error = try #require(throws: ExecutionError.self) {
            try executor.run(inputs: inputs, rows: 3, state: executor.makeState(capacity: 8))
        }
        #expect("\(error)".contains("blk.1") && "\(error)".contains("not finite"))
        executor.checksFinite = false
        #expect(throws: Never.self) { try executor.run(inputs: inputs, rows: 3, state: executor.makeState(capacity: 8)) }
    }

    // MARK: - Recipes

    @Test func aRecipeOfNestedAliasesIsRefusedBeforeItExpands() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        yaml += "stages: [{pass: rtn, targets: *a11}]\n"
        #expect(throws: RecipeError.self) { try Recipe(yaml: yaml, source: "laughs.yaml") }
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: RecipeError.self) { try Recipe(yaml: "stages: " + deep, source: "deep.yaml") }
        #expect(throws: RecipeError.self) {
            try Recipe(yaml: "stages:\n  - pass: rtn\n    parameters: {bits: 1e400}\n", source: "huge.yaml")
        }
    }

    @Test func regexTargetsCannotHangAndSayWhatSyntaxTheyTake() throws {
        // A backtracking engine takes ~2^40 steps here; the POSIX engine simulates the automaton.
        let evil = try TargetPattern("re:(a|aa)*(a|aa)*(a|aa)*c")
        #expect(!evil.matches(String(repeating: "a", count: 40)))
        #expect(try TargetPattern("re:blk\\.100\\..*").matches("blk.100.attn_q"))
        #expect(try TargetPattern("re:blk\\.[0-9]+\\.ffn_(up|down)").matches("blk.12.ffn_down"))
        for bad in ["re:blk\\d+", "re:(?:a)", "re:a{1000}", "re:" + String(repeating: "a", count: 300), "re:(unclosed"] {
            #expect(throws: RecipeError.self, "\(bad)") { try TargetPattern(bad) }
        }
    }

    // MARK: - Files

    @Test func anOutputThatIsAnInputIsRefusedUnderAnyName() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pith-\(UUID().uuidString.prefix(8))-paths")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let model = folder.appendingPathComponent("m.gguf")
        try Data([1, 2, 3]).write(to: model)
        let link = folder.appendingPathComponent("link.gguf")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: model)
        for output in [model.path, link.path, folder.path + "/./m.gguf"] {
            #expect(throws: OutputPath.Refusal.self, "\(output)") { try OutputPath.requireDistinct(output, from: [model.path]) }
        }
        #expect(throws: Never.self) { try OutputPath.requireDistinct(folder.appendingPathComponent("new.pith").path, from: [model.path]) }
    }

    @Test func temporaryFilesOfDeadWritersAreRemovedOnTheNextWrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pith-\(UUID().uuidString.prefix(8))-stale")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let dead = folder.appendingPathComponent(".model.pith.tmp-2147483646-ABCDEF12")  // no such process
        let live = folder.appendingPathComponent(".model.pith.tmp-\(getpid())-ABCDEF12")
        let unrelated = folder.appendingPathComponent(".notes.tmp-2147483646-long-name")
        for url in [dead, live, unrelated] { try Data([0]).write(to: url) }
        try AtomicFileWriter.write(Data([42]), to: folder.appendingPathComponent("model.pith"))
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: live.path) && FileManager.default.fileExists(atPath: unrelated.path))
    }
}
