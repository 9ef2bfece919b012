import PithGraph

/// The forward and backward rule of one operator type: how to compute its output from its inputs, and how to turn
/// the gradient of its output into gradients of its inputs and parameters.
///
/// Rules are generic over the scalar type, so one implementation trains in f32 and is checked in f64.
protocol OperatorRule: Sendable {
    /// The output activation, (rows, features of the declared output).
    func forward<T: TrainScalar>(_ op: OperatorContext<T>) throws -> Matrix<T>
    /// Adds ∂loss/∂input into `op.accumulate` for every input port that `op.needsGradient`.
    func backward<T: TrainScalar>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws
}

/// One operator node during a pass: its inputs by port, attributes with the catalogue's defaults, and the gradient sink.
struct OperatorContext<T: TrainScalar> {
    let node: OperatorNode
    let schema: OperatorSchema
    let variables: [String: VariableNode]
    let tape: Tape<T>
    let parameters: ParameterSet<T>
    /// Variables through which the loss reaches a trainable parameter or a float input.
    let differentiable: Set<String>
    /// Set during the backward pass only.
    let gradients: GradientAccumulator<T>?

    var batch: TrainingBatch<T> { tape.batch }

    func fail(_ why: String) -> TrainingError { TrainingError("operator '\(node.name)' (\(node.type)): \(why)") }

    // MARK: - Inputs

    func name(_ port: String) throws -> String {
        guard let name = node.input(port) else { throw fail("input '\(port)' must name exactly one variable") }
        return name
    }

    /// The activation bound to `port`.
    func activation(_ port: String) throws -> Matrix<T> {
        let name = try name(port)
        guard let m = tape.activations[name] else { throw fail("input '\(name)' is not an activation computed earlier") }
        return m
    }

    /// The integer graph input bound to `port`, one entry per row.
    func integers(_ port: String) throws -> [Int32] {
        let name = try name(port)
        guard let values = batch.integers[name] else { throw fail("integer input '\(name)' is missing from the batch") }
        return values
    }

    func hasInput(_ port: String) -> Bool { node.input(port) != nil }

    /// The parameter bound to `port`.
    func parameter(_ port: String) throws -> ParameterValue<T> {
        let name = try name(port)
        guard variables[name]?.isParameter == true else { throw fail("'\(port)' must be a parameter") }
        return try parameters.value(of: name)
    }

    /// The declared variable bound to an input port.
    func variable(_ port: String) throws -> VariableNode {
        let name = try name(port)
        guard let v = variables[name] else { throw fail("'\(name)' is not declared") }
        return v
    }

    /// Features per row of the declared output.
    var outputWidth: Int {
        node.output("output").flatMap { variables[$0] }.map(\.featuresPerRow) ?? 0
    }

    // MARK: - Attributes (with the catalogue's defaults)

    func int(_ name: String) -> Int { schema.attribute(name, of: node)?.int ?? 0 }
    func double(_ name: String) -> Double { schema.attribute(name, of: node)?.double ?? 0 }
    func bool(_ name: String) -> Bool { schema.attribute(name, of: node)?.bool ?? false }
    func string(_ name: String) -> String { schema.attribute(name, of: node)?.string ?? "" }
    func ints(_ name: String) -> [Int] { schema.attribute(name, of: node)?.ints ?? [] }

    // MARK: - Backward

    /// The output this operator produced in the forward pass.
    func output() throws -> Matrix<T> {
        guard let name = node.outputs["output"]?.first, let m = tape.activations[name] else { throw fail("no recorded output") }
        return m
    }

    /// Whether the loss needs a gradient for the variable bound to `port` (a trainable parameter or a differentiable activation).
    func needsGradient(_ port: String) -> Bool {
        guard let name = node.input(port), gradients != nil else { return false }
        return differentiable.contains(name)
    }

    /// Adds into the gradient of the variable bound to `port`, laid out like its value.
    func accumulate(_ port: String, _ body: (inout [T]) throws -> Void) throws {
        let name = try name(port)
        try accumulate(variable: name, body)
    }

    /// Adds into the gradient of the named variable (variadic ports such as concat's).
    func accumulate(variable name: String, _ body: (inout [T]) throws -> Void) throws {
        guard let gradients, differentiable.contains(name) else { return }
        if variables[name]?.isParameter == true {
            guard let m = parameters.trainable[name] else { return }  // frozen: no gradient
            try gradients.accumulate(name, isParameter: true, count: m.values.count, body)
        } else {
            guard let m = tape.activations[name] else { throw fail("no recorded value for '\(name)'") }
            try gradients.accumulate(name, isParameter: false, count: m.values.count, body)
        }
    }
}

extension VariableNode {
    /// Elements per row of an activation: the product of every dimension after the leading (token) one.
    var featuresPerRow: Int { shape.dropFirst().reduce(1) { $0 &* max($1, 0) } }
}
