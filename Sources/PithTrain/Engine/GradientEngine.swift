import PithGraph

/// Reverse-mode differentiation of any valid graph: runs the forward pass recording every activation, then walks
/// the operators backwards, each through its catalogue rule (`RuleCatalogue`), from the gradients of the outputs to
/// those of the trainable parameters. No architecture has code of its own here: the walk is derived from the graph.
///
/// Frozen parameters stay in their stored encoding and get no gradient, but still pass gradients to their inputs.
/// Gradients accumulate in `T` (f32 when training).
public struct GradientEngine<T: TrainScalar>: @unchecked Sendable {
    /// The graph being differentiated (module operators expanded into base ones).
    public let graph: ComputationGraph
    /// Its parameters; optimizers update the trainable ones.
    public var parameters: ParameterSet<T>
    let variables: [String: VariableNode]
    let rules: [OperatorRule]
    let schemas: [OperatorSchema]
    /// Variables through which the outputs depend on a trainable parameter or a float input.
    let differentiable: Set<String>

    /// Prepares the structure's main graph; throws naming an operator no rule covers or a parameter that cannot be read.
    /// - Parameter isTrainable: which parameters receive gradients (by name); the others are frozen.
    public init(structure: ModelStructure, weights: Weights, isTrainable: (String) -> Bool = { _ in true }) throws {
        guard let main = structure.mainGraph else { throw TrainingError("the model has no main graph") }
        try GraphValidator().validate(structure)
        let graph = try ModuleExpansion().apply(to: main)
        self.graph = graph
        let variables = graph.variablesByName
        self.variables = variables
        parameters = try ParameterSet(graph: graph, weights: weights, isTrainable: isTrainable)
        var rules: [OperatorRule] = [], schemas: [OperatorSchema] = []
        for node in graph.operators {
            guard let schema = OperatorCatalogue.standard[node.type] else {
                throw TrainingError("operator '\(node.name)': unknown type '\(node.type)'")
            }
            guard let rule = RuleCatalogue.rule(for: node.type) else {
                throw TrainingError("operator '\(node.name)': no gradient rule for '\(node.type)' yet")
            }
            guard node.outputs.count == 1, node.output("output") != nil else {
                throw TrainingError("operator '\(node.name)': the engine needs exactly one output")
            }
            rules.append(rule)
            schemas.append(schema)
        }
        self.rules = rules
        self.schemas = schemas
        let floatInputs = graph.inputs.filter { variables[$0]?.elementType == .f32 }
        var reached = Set(floatInputs).union(parameters.trainable.keys.filter { variables[$0]?.isParameter == true })
        for node in graph.operators where node.inputs.values.joined().contains(where: reached.contains) {
            for out in node.outputs.values.joined() { reached.insert(out) }
        }
        differentiable = reached
    }

    // MARK: - Forward

    /// Runs the graph on `batch`, recording every activation.
    public func forward(_ batch: TrainingBatch<T>) throws -> Tape<T> {
        guard batch.sequences > 0, batch.rows % batch.sequences == 0 else {
            throw TrainingError("\(batch.rows) rows do not split into \(batch.sequences) equal sequences")
        }
        for name in graph.inputs {
            guard let v = variables[name] else { continue }
            if v.elementType == .f32 {
                guard let m = batch.floats[name], m.cols == v.featuresPerRow, m.rows == batch.rows else {
                    throw TrainingError("float input '\(name)' is missing or is not (\(batch.rows), \(v.featuresPerRow))")
                }
            } else if batch.integers[name] == nil {
                throw TrainingError("integer input '\(name)' is missing from the batch")
            }
        }
        let tape = Tape(batch: batch)
        for (index, node) in graph.operators.enumerated() {
            let op = context(index, tape: tape, gradients: nil)
            let y = try rules[index].forward(op)
            guard y.cols == op.outputWidth else {
                throw op.fail("computed \(y.cols) features, the graph declares \(op.outputWidth)")
            }
            if let name = node.output("output") { tape.activations[name] = y }
        }
        return tape
    }

    // MARK: - Backward

    /// Walks the graph backwards from `seeds` (∂loss/∂output for each graph output the loss reads).
    public func backward(_ tape: Tape<T>, seeds: [String: Matrix<T>]) throws -> Gradients<T> {
        let sink = GradientAccumulator<T>()
        for (name, seed) in seeds {
            guard let y = tape.activations[name], y.rows == seed.rows, y.cols == seed.cols else {
                throw TrainingError("seed '\(name)' does not match an activation of the same shape")
            }
            sink.activations[name] = seed.values
        }
        for index in graph.operators.indices.reversed() {
            let node = graph.operators[index]
            guard let out = node.output("output"), differentiable.contains(out),
                  let dy = sink.activations.removeValue(forKey: out), let y = tape.activations[out] else { continue }
            let op = context(index, tape: tape, gradients: sink)
            try rules[index].backward(op, outputGradient: Matrix(uncheckedRows: y.rows, cols: y.cols, values: dy))
        }
        var result = Gradients<T>(parameters: sink.parameters)
        for (name, m) in parameters.trainable where result.parameters[name] == nil {
            result.parameters[name] = [T](repeating: 0, count: m.values.count)
        }
        for name in graph.inputs {
            guard let g = sink.activations[name], let x = tape.activations[name] else { continue }
            result.inputs[name] = Matrix(uncheckedRows: x.rows, cols: x.cols, values: g)
        }
        return result
    }

    /// One forward and backward pass: `loss` reads the tape's outputs and returns its value and the seeds.
    public func gradients(_ batch: TrainingBatch<T>,
                          loss: (Tape<T>) throws -> (value: Double, seeds: [String: Matrix<T>])) throws -> (loss: Double, gradients: Gradients<T>) {
        let tape = try forward(batch)
        let (value, seeds) = try loss(tape)
        return (value, try backward(tape, seeds: seeds))
    }

    private func context(_ index: Int, tape: Tape<T>, gradients: GradientAccumulator<T>?) -> OperatorContext<T> {
        OperatorContext(node: graph.operators[index], schema: schemas[index], variables: variables, tape: tape,
                        parameters: parameters, differentiable: differentiable, gradients: gradients)
    }
}
