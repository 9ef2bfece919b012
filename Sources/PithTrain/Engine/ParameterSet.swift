import PithGraph
import PithTensor

/// The parameters of a graph being trained: trainable ones as dense values in the engine's type (what the optimizer
/// updates), frozen ones left in their stored encoding and bytes.
public struct ParameterSet<T: TrainScalar>: @unchecked Sendable {
    /// Trainable values by name, each viewed as (leading dimensions, last dimension).
    public private(set) var trainable: [String: Matrix<T>] = [:]
    var frozen: [String: EncodedWeight] = [:]
    /// Every parameter's declared shape, trainable or not.
    public private(set) var shapes: [String: [Int]] = [:]

    /// Splits the graph's parameters by `isTrainable`, decoding the trainable ones from `weights`.
    ///
    /// Throws naming a parameter without data, with the wrong byte size, or in an encoding nothing decodes.
    init(graph: ComputationGraph, weights: Weights, isTrainable: (String) -> Bool) throws {
        for v in graph.variables where v.isParameter {
            guard let data = weights[v.name] else { throw TrainingError("parameter '\(v.name)' has no data") }
            let stored = try EncodedWeight(name: v.name, variable: v, data: data)
            shapes[v.name] = v.shape
            if isTrainable(v.name) {
                trainable[v.name] = Matrix(uncheckedRows: stored.rows, cols: stored.cols, values: T.converting(try stored.decodeAll()))
            } else {
                frozen[v.name] = stored
            }
        }
    }

    /// Names of the trainable parameters, sorted (the order optimizers and reports walk them in).
    public var trainableNames: [String] { trainable.keys.sorted() }

    /// Whether `name` is a parameter that receives gradients.
    public func isTrainable(_ name: String) -> Bool { trainable[name] != nil }

    /// A trainable parameter's values, or nil when it is frozen or unknown.
    public func values(of name: String) -> [T]? { trainable[name]?.values }

    /// Replaces a trainable parameter's values; throws when it is not trainable or the count differs.
    public mutating func setValues(_ values: [T], of name: String) throws {
        guard let current = trainable[name] else { throw TrainingError("'\(name)' is not a trainable parameter") }
        guard current.values.count == values.count else {
            throw TrainingError("'\(name)' has \(current.values.count) values, got \(values.count)")
        }
        trainable[name]?.values = values
    }

    /// Updates every trainable parameter in place (optimizers): `body(name, &values)`.
    public mutating func update(_ body: (String, inout [T]) throws -> Void) rethrows {
        for name in trainableNames {
            guard var m = trainable[name] else { continue }
            trainable[name] = nil  // unique, so the update is in place
            try body(name, &m.values)
            trainable[name] = m
        }
    }

    /// The parameter as a rule reads it.
    func value(of name: String) throws -> ParameterValue<T> {
        if let m = trainable[name] { return .dense(m) }
        if let w = frozen[name] { return .encoded(w) }
        throw TrainingError("'\(name)' is not a parameter of the graph")
    }

    /// The model's weights with every trainable parameter replaced by its current values as f32 (dense),
    /// and the graph's encodings of those parameters set to dense f32 to match.
    public func export(into weights: Weights, graph: ComputationGraph) -> (Weights, ComputationGraph) {
        var weights = weights, graph = graph
        for (name, m) in trainable {
            weights[name] = TensorData(floats: m.values.map { Float($0) })
        }
        for i in graph.variables.indices where trainable[graph.variables[i].name] != nil {
            graph.variables[i].encoding = .dense(.f32)
        }
        return (weights, graph)
    }
}
