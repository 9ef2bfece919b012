import PithGraph

extension Model {
    /// The same weights, tokenizer and source under another structure — e.g. one read back with `RepresentationCodec`.
    ///
    /// The structure is validated, and every parameter any of its graphs names must be among the weights with exactly
    /// the byte size its shape and encoding give; otherwise this throws one line naming the parameter.
    public func replacingStructure(with structure: ModelStructure) throws -> Model {
        try GraphValidator().validate(structure)
        for graph in structure.graphs {
            for v in graph.variables where v.isParameter {
                guard let data = weights[v.name] else {
                    throw ModelError.invalid(file: source.path,
                        reason: "the graph's parameter '\(v.name)' (graph \(graph.graphID)) is not among the model's weights")
                }
                let expected = v.encoding.byteCount(shape: v.shape)
                guard expected == data.count else {
                    let wanted = expected.map { "\($0) bytes" } ?? "a size that overflows"
                    throw ModelError.invalid(file: source.path,
                        reason: "the graph's parameter '\(v.name)' (graph \(graph.graphID)) is \(v.shape) in \(v.encoding.name), \(wanted); the weights hold \(data.count) bytes")
                }
            }
        }
        var model = self
        model.structure = structure
        return model
    }
}
