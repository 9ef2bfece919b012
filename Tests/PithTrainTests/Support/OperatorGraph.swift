import PithGraph
import PithTensor
@testable import PithTrain

/// A small graph built in a test: float inputs (activations), integer inputs, parameters and operators.
struct OperatorGraph {
    var graph = ComputationGraph(name: "test", role: .main)

    /// A float activation input of shape [-1, inner…].
    mutating func floatInput(_ name: String, _ inner: Int...) {
        graph.variables.append(VariableNode(name: name, shape: [-1] + inner, isParameter: false))
        graph.inputs.append(name)
    }

    mutating func integerInput(_ name: String) {
        graph.variables.append(VariableNode(name: name, elementType: .i32, shape: [-1], isParameter: false))
        graph.inputs.append(name)
    }

    mutating func parameter(_ name: String, _ shape: Int..., encoding: Encoding = .dense(.f32)) {
        graph.variables.append(VariableNode(name: name, shape: shape, isParameter: true, encoding: encoding))
    }

    /// Appends an operator whose output `output` has shape [-1, inner…]; marks it a graph output when asked.
    mutating func op(_ type: String, _ inputs: [String: [String]], _ output: String, _ inner: [Int],
                     attributes: [String: Attribute] = [:], isOutput: Bool = true) {
        graph.variables.append(VariableNode(name: output, shape: [-1] + inner, isParameter: false))
        graph.operators.append(OperatorNode(type: type, name: "op\(graph.operators.count)", inputs: inputs,
                                            outputs: ["output": [output]], attributes: attributes))
        if isOutput { graph.outputs.append(output) }
    }

    var structure: ModelStructure {
        ModelStructure(name: "test", architecture: "test", family: .decoderOnly, origin: "test", graphs: [graph])
    }

    /// Random f32 weights for every parameter (dense f32 only).
    func weights(_ rng: inout SplitMix64) -> Weights {
        var w = Weights()
        for v in graph.variables where v.isParameter {
            w[v.name] = TensorData(floats: rng.doubles(v.elementCount ?? 0).map { Float($0) })
        }
        return w
    }
}
