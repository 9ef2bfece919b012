import Foundation
import PithTensor
import Testing
@testable import PithCompress

@Suite struct TargetPatternTests {
    @Test func regexGlobAndExact() throws {
        let output = try TargetPattern("re:.*output.*")
        #expect(output.matches("output") && output.matches("blk.3.attn_output.weight") && !output.matches("blk.3.attn_q"))
        let block = try TargetPattern("re:blk\\.0\\..*")
        #expect(block.matches("blk.0.attn_q") && !block.matches("blk.10.attn_q") && !block.matches("xblk.0.a"))
        let glob = try TargetPattern("blk.*.ffn_*")
        #expect(glob.kind == .glob && glob.matches("blk.12.ffn_down") && !glob.matches("blk.12.attn_q"))
        let exact = try TargetPattern("token_embd.weight")
        #expect(exact.kind == .exact && exact.matches("token_embd.weight") && !exact.matches("token_embd.weight2"))
        #expect(throws: RecipeError.self) { try TargetPattern("re:(unclosed") }
    }

    @Test func stagesClaimLayersInOrder() throws {
        let recipe = Recipe(stages: [
            .init(pass: "gptq", targets: ["re:blk\\..*"], ignore: ["re:.*ffn_down.*"],
                  overrides: [.init(targets: ["re:blk\\.0\\..*"], parameters: ["bits": .int(8)])]),
            .init(pass: "rtn", targets: ["token_embd.weight", "blk.*.ffn_down"]),
        ], source: "test")
        let stages = try recipe.resolve()
        let q0 = try #require(stages.assignment(for: ["blk.0.attn_q", "blk.0.attn_q.weight"], isLinear: true))
        #expect(q0.stage.index == 1 && (q0.pass as? any QuantizingPass)?.requestedScheme.bits == 8)
        let q5 = try #require(stages.assignment(for: ["blk.5.attn_q", "blk.5.attn_q.weight"], isLinear: true))
        let q5Scheme = (q5.pass as? any QuantizingPass)?.requestedScheme
        #expect(q5Scheme?.bits == 4 && q5Scheme?.groupSize == 128)
        let down = try #require(stages.assignment(for: ["blk.5.ffn_down", "blk.5.ffn_down.weight"], isLinear: true))
        #expect(down.stage.index == 2 && down.pass.name == "rtn")
        #expect(stages.assignment(for: ["output", "token_embd.weight"], isLinear: true)?.stage.index == 2)
        #expect(stages.assignment(for: ["output_norm.weight"], isLinear: false) == nil)
    }

    @Test func aStageWithoutTargetsTakesEveryLinearOnly() throws {
        let stages = try Recipe(stages: [.init(pass: "rtn", ignore: ["output"])], source: "t").resolve()
        #expect(stages.assignment(for: ["blk.1.ffn_up", "blk.1.ffn_up.weight"], isLinear: true) != nil)
        #expect(stages.assignment(for: ["output", "token_embd.weight"], isLinear: true) == nil)
        #expect(stages.assignment(for: ["token_embd.weight"], isLinear: false) == nil)
    }
}

@Suite struct RecipeParsingTests {
    static let example = """
    stages:
      - pass: gptq
        targets: ["re:blk\\\\..*"]
        ignore: ["re:.*output.*"]
        parameters: {bits: 4, group_size: 128, symmetric: false, dampening: 0.01, act_order: true}
        overrides:
          - targets: ["re:blk\\\\.0\\\\..*"]
            parameters: {bits: 8}
      - pass: rtn
        targets: ["token_embd.weight"]
        parameters: {bits: 6, group_size: 32}
    """

    @Test func parsesTheDocumentedExample() throws {
        let recipe = try Recipe(yaml: Self.example, source: "r.yaml")
        #expect(recipe.stages.count == 2)
        #expect(recipe.stages[0].targets == ["re:blk\\..*"] && recipe.stages[0].ignore == ["re:.*output.*"])
        #expect(recipe.stages[0].parameters["dampening"] == .double(0.01) && recipe.stages[0].parameters["act_order"] == .bool(true))
        #expect(recipe.stages[0].overrides == [.init(targets: ["re:blk\\.0\\..*"], parameters: ["bits": .int(8)])])
        let stages = try recipe.resolve()
        let gptq = try #require(stages[0].pass as? GPTQPass)
        #expect(gptq.parameters.actOrder && gptq.parameters.groupSize == 128 && gptq.parameters.dampening == 0.01)
        let rtn = try #require(stages[1].pass as? RTNPass)
        #expect(rtn.parameters.bits == 6 && rtn.parameters.groupSize == 32 && !rtn.parameters.symmetric)
    }

    static func error(_ yaml: String) -> String {
        do { _ = try Recipe(yaml: yaml, source: "r.yaml"); return "" } catch { return "\(error)" }
    }

    @Test func errorsNameTheFileTheStageAndTheKey() {
        #expect(Self.error("stages:\n  - pass: gptqq\n") == "r.yaml: stage 1 (gptqq): unknown pass 'gptqq' (known: rtn, gptq, awq, smoothquant, w8a8, llm_int8, nf4, fp4, fp8, magnitude, wanda, sparsegpt)")
        #expect(Self.error("stages:\n  - pass: rtn\n  - pass: gptq\n    parameters: {bitz: 4}\n")
            .hasPrefix("r.yaml: stage 2 (gptq): unknown parameter 'bitz' (known: act_order, bias_correction, bits,"))
        #expect(Self.error("stages:\n  - pass: rtn\n    parameters: {bits: four}\n") == "r.yaml: stage 1 (rtn): parameter 'bits' must be an integer (given 'four')")
        #expect(Self.error("stages:\n  - pass: rtn\n    parameters: {bits: 12}\n") == "r.yaml: stage 1 (rtn): bits must be 2…8, is 12")
        #expect(Self.error("stages:\n  - pass: rtn\n    target: [x]\n").hasPrefix("r.yaml: stage 1 (rtn): unknown key 'target'"))
        #expect(Self.error("stages:\n  - pass: rtn\n    overrides:\n      - targets: [a]\n        parameters: {alpha: 1}\n")
            .hasPrefix("r.yaml: stage 1 (rtn): override 1: unknown parameter 'alpha'"))
        #expect(Self.error("stages:\n  - pass: rtn\n    ignore: ['re:(']\n").hasPrefix("r.yaml: stage 1 (rtn): 're:(' is not a valid regular expression"))
        #expect(Self.error("passes: []\n") == "r.yaml: unknown key 'passes' (expected 'stages')")
        #expect(Self.error("stages: [\n").hasPrefix("r.yaml: not valid YAML"))
        #expect(Self.error("stages: []\n") == "r.yaml: the recipe has no stages")
    }

    @Test func flagsBuildTheSameRecipe() throws {
        let recipe = try Recipe.fromFlags(method: "gptq", flags: ["bits": .int(4), "group_size": .int(128), "act_order": .bool(true)],
                                          ignore: ["output"])
        #expect(recipe.stages == [.init(pass: "gptq", ignore: ["output"], parameters: ["bits": .int(4), "group_size": .int(128), "act_order": .bool(true)])])
        let nf4 = try Recipe.fromFlags(method: "nf4", flags: ["group_size": .int(128)])
        #expect(nf4.stages[0].parameters == ["block_size": .int(128)])
        #expect(throws: RecipeError("--alpha does not apply to gptq (it takes act_order, bias_correction, bits, block_size, clip, dampening, double_quantization, float_targets, group_size, static_groups, symmetric, true_sequential)")) {
            try Recipe.fromFlags(method: "gptq", flags: ["alpha": .double(0.5)])
        }
        #expect(throws: RecipeError.self) { try Recipe.fromFlags(method: "nope", flags: [:]) }
    }

    @Test func llmInt8FromFlagsAndRecipes() throws {
        let recipe = try Recipe.fromFlags(method: "llm-int8", flags: ["threshold": .double(4)])
        #expect(recipe.stages == [.init(pass: "llm_int8", parameters: ["threshold": .double(4)])])
        let pass = try #require(try recipe.resolve()[0].pass as? LLMInt8Pass)
        #expect(pass.parameters.threshold == 4 && !pass.needsCalibration)
        #expect(pass.requestedScheme == .llmInt8(threshold: 4) && pass.requestedScheme.description == "llm.int8-t4")
        #expect(try LLMInt8Pass(parameters: .init()).requestedScheme.description == "llm.int8-t6")
        #expect(Self.error("stages:\n  - pass: llm_int8\n    parameters: {threshold: -1}\n")
            == "r.yaml: stage 1 (llm_int8): threshold must be a positive finite number, is -1.0")
        #expect(throws: RecipeError("--threshold does not apply to w8a8 (it takes no parameters)")) {
            try Recipe.fromFlags(method: "w8a8", flags: ["threshold": .double(6)])
        }
        #expect(try W8A8Pass(parameters: .init()).requestedScheme == .w8a8)
    }

    @Test func schemesFitRowsTheirGroupDoesNotDivide() throws {
        let (scheme, note) = try GPTQPass(parameters: .init()).scheme(cols: 576)
        #expect(scheme.groupSize == 96 && note != nil)
        #expect(try GPTQPass(parameters: .init()).scheme(cols: 1536).scheme.groupSize == 128)
        var p = RTNPass.Parameters()
        p.groupSize = 32
        #expect(try RTNPass(parameters: p).scheme(cols: 576).scheme.ggmlEquivalent == .q4_1)
        #expect(throws: RecipeError.self) { try RTNPass(parameters: p).scheme(cols: 40) }
    }
}

/// The recipes shipped in examples/recipes parse, resolve against the registry, and give the layers of a Llama graph
/// the bits their comments promise.
@Suite struct ExampleRecipeTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/recipes")

    func bits(of recipe: String) throws -> [String: QuantScheme] {
        let recipe = try Recipe(contentsOf: Self.directory.appendingPathComponent(recipe))
        let run = try QuantizationRun(model: tinyLlama(), stages: try recipe.resolve(), options: QuantizationOptions())
        var schemes: [String: QuantScheme] = [:]
        for site in run.sites { if let pass = site.pass as? any QuantizingPass { schemes[site.name] = try pass.scheme(cols: site.cols).scheme } }
        return schemes
    }

    @Test func int3MixedGivesThreeBitsToQueriesKeysAndUp() throws {
        let s = try bits(of: "int3-mixed-dq.yaml")
        #expect(s["blk.0.attn_q"]?.bits == 3 && s["blk.1.attn_k"]?.bits == 3 && s["blk.0.ffn_up"]?.bits == 3)
        #expect(s["blk.0.attn_v"]?.bits == 4 && s["blk.1.attn_output"]?.bits == 4 && s["blk.0.ffn_gate"]?.bits == 4
            && s["blk.1.ffn_down"]?.bits == 4)
        #expect(s["output"]?.bits == 6)
        #expect(s.values.allSatisfy { $0.doubleQuantization && !$0.symmetric && $0.groupSize == 32 })
    }

    @Test func int3QueriesKeysOnly() throws {
        let s = try bits(of: "int3-qk-dq.yaml")
        #expect(s.filter { $0.value.bits == 3 }.keys.sorted() == ["blk.0.attn_k", "blk.0.attn_q", "blk.1.attn_k", "blk.1.attn_q"])
        #expect(s["output"]?.bits == 6 && s["blk.0.ffn_up"]?.bits == 4)
    }

    @Test func everyExampleResolves() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 2)
        for file in files { _ = try Recipe(contentsOf: Self.directory.appendingPathComponent(file)).resolve() }
    }
}
