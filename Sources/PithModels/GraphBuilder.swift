import PithGraph
import PithTensor

/// Accumulates variables and operators into a graph, naming activations after the operator that makes them.
struct GraphBuilder {
    private(set) var graph = ComputationGraph()

    mutating func input(_ name: String, shape: [Int], type: ScalarType) {
        graph.variables.append(VariableNode(name: name, elementType: type, shape: shape, isParameter: false))
        graph.inputs.append(name)
    }

    mutating func output(_ name: String) {
        graph.outputs.append(name)
    }

    /// Declares a parameter once and returns its name.
    @discardableResult
    mutating func parameter(_ name: String, _ shape: [Int], _ encoding: (String) -> Encoding) -> String {
        if !graph.variables.contains(where: { $0.name == name }) {
            graph.variables.append(VariableNode(name: name, shape: shape, isParameter: true, encoding: encoding(name)))
        }
        return name
    }

    /// Appends an operator whose single output is a (tokens, features) activation; returns the output's name.
    mutating func op(_ type: String, _ name: String, _ inputs: [String: String], features: Int,
                     attributes: [String: Attribute] = [:], outputName: String? = nil) -> String {
        let out = outputName ?? name + ".out"
        graph.variables.append(VariableNode(name: out, shape: [-1, features], isParameter: false))
        graph.operators.append(OperatorNode(type: type, name: name, inputs: inputs.mapValues { [$0] },
                                            outputs: ["output": [out]], attributes: attributes))
        return out
    }
}
