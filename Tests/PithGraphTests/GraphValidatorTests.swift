import Testing
@testable import PithGraph

/// A tiny valid graph: x → linear → silu → y.
func tinyGraph() -> ComputationGraph {
    ComputationGraph(
        operators: [
            OperatorNode(type: "embedding", name: "embed", inputs: ["ids": ["ids"], "weight": ["table"]], outputs: ["output": ["x"]]),
            OperatorNode(type: "linear", name: "proj", inputs: ["input": ["x"], "weight": ["w"]], outputs: ["output": ["h"]]),
            OperatorNode(type: "silu", name: "act", inputs: ["input": ["h"]], outputs: ["output": ["y"]]),
        ],
        variables: [
            VariableNode(name: "ids", elementType: .i32, shape: [-1], isParameter: false),
            VariableNode(name: "table", shape: [10, 4], isParameter: true),
            VariableNode(name: "w", shape: [3, 4], isParameter: true),
            VariableNode(name: "x", shape: [-1, 4], isParameter: false),
            VariableNode(name: "h", shape: [-1, 3], isParameter: false),
            VariableNode(name: "y", shape: [-1, 3], isParameter: false),
        ],
        inputs: ["ids"], outputs: ["y"])
}

/// The validator's message for a graph, or nil when it passes.
func failure(_ graph: ComputationGraph) -> String? {
    do {
        try GraphValidator().validate(graph)
        return nil
    } catch {
        return "\(error)"
    }
}

@Test func validGraphPasses() {
    #expect(failure(tinyGraph()) == nil)
}

@Test func unknownOperatorIsNamed() {
    var g = tinyGraph()
    g.operators[2].type = "frobnicate"
    #expect(failure(g)?.contains("operator 'act': unknown operator type 'frobnicate'") == true)
}

@Test func missingInputIsNamed() {
    var g = tinyGraph()
    g.operators[1].inputs["weight"] = nil
    #expect(failure(g)?.contains("operator 'proj' (linear): missing input 'weight'") == true)
}

@Test func undeclaredVariableIsNamed() {
    var g = tinyGraph()
    g.operators[2].inputs["input"] = ["ghost"]
    #expect(failure(g)?.contains("'ghost' is not declared") == true)
}

@Test func wrongAttributeTypeIsNamed() {
    var g = tinyGraph()
    g.operators.insert(OperatorNode(type: "rms_norm", name: "norm", inputs: ["input": ["x"], "weight": ["w"]],
                                    outputs: ["output": ["n"]], attributes: ["epsilon": .string("tiny")]), at: 1)
    g.variables.append(VariableNode(name: "n", shape: [-1, 4], isParameter: false))
    #expect(failure(g)?.contains("operator 'norm' (rms_norm): attribute 'epsilon' must be float, is string") == true)
}

@Test func missingRequiredAttributeIsNamed() {
    var g = tinyGraph()
    g.operators[2] = OperatorNode(type: "attention", name: "att", inputs: ["query": ["h"], "key": ["h"], "value": ["h"]],
                                  outputs: ["output": ["y"]], attributes: ["heads": .int(1), "head_dim": .int(3)])
    #expect(failure(g)?.contains("operator 'att' (attention): missing required attribute 'kv_heads'") == true)
}

@Test func shapeMismatchIsNamed() {
    var g = tinyGraph()
    g.variables[2].shape = [3, 5]
    #expect(failure(g)?.contains("operator 'proj' (linear): input has 4 features, weight expects 5") == true)
}

@Test func cycleIsRejected() {
    var g = tinyGraph()
    // act now reads its own output: a cycle of one.
    g.operators[2].inputs["input"] = ["y"]
    #expect(failure(g)?.contains("reads 'y' before it is produced") == true)
}

@Test func doubleProducerIsRejected() {
    var g = tinyGraph()
    g.operators[2].outputs["output"] = ["h"]
    #expect(failure(g)?.contains("'h' is already produced by 'proj'") == true)
}

@Test func subGraphLinksAreChecked() {
    let main = tinyGraph()
    var sub = tinyGraph()
    sub.graphID = 1
    sub.parentGraphID = 7
    let s = ModelStructure(name: "t", architecture: "test", family: .decoderOnly, origin: "test", graphs: [main, sub])
    #expect(throws: GraphValidator.Failure.self) { try GraphValidator().validate(s) }
    var loop = s
    loop.graphs[0].parentGraphID = 1
    loop.graphs[1].parentGraphID = 0
    #expect(throws: GraphValidator.Failure.self) { try GraphValidator().validate(loop) }
}

@Test func communicationOperatorsHaveTheirAttributes() throws {
    let schema = try #require(OperatorCatalogue.standard["recv"])
    #expect(schema.category == .communication)
    #expect(schema.attributes.map(\.name).sorted() == ["peer", "shape"])
    #expect(OperatorCatalogue.standard["broadcast"]?.attributes.map(\.name).sorted() == ["nranks", "root_id"])
}
