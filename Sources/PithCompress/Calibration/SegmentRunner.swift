import PithGraph
import PithModels
import PithRuntime

/// Runs one segment of a graph over every calibration sample, a few samples per executor call.
///
/// Activations live in memory for all samples at once — (samples · length, width) floats per variable — which is
/// one block's inputs and outputs: what sequential calibration needs and no more.
struct SegmentRunner {
    let calibration: CalibrationSet
    /// Samples per executor call (their rows go through the linears together).
    let samplesPerCall: Int

    init(calibration: CalibrationSet, rowsPerCall: Int = 4096) {
        self.calibration = calibration
        samplesPerCall = max(1, min(calibration.count, rowsPerCall / max(calibration.length, 1)))
    }

    /// Runs `graph` (attention made cache-free, so sequences of one call attend only to themselves) with `weights`;
    /// f32 inputs come from `store`, integer inputs are made for the samples. Returns the graph's outputs, all rows.
    /// `keepOutputs` false runs for the taps alone and returns nothing (a capture needs no copy of what it tapped).
    func run(_ graph: ComputationGraph, weights: Weights, store: [String: [Float]], tap: Set<String> = [],
             keepOutputs: Bool = true, handler: Executor.TapHandler? = nil) throws -> [String: [Float]] {
        let executor = try makeExecutor(graph, weights: weights)
        var outputs: [String: [Float]] = [:]
        for samples in batches {
            let result = try run(executor, samples: samples, store: store, tap: tap, handler: handler)
            if keepOutputs { for (name, out) in result { outputs[name, default: []].append(contentsOf: out.values) } }
        }
        return outputs
    }

    /// Receives a tapped value of the model as it is and the same tokens' value in the float reference model.
    typealias PairHandler = (_ name: String, _ values: UnsafeBufferPointer<Float>, _ reference: UnsafeBufferPointer<Float>,
                             _ rows: Int, _ width: Int) throws -> Void

    /// Runs `graph` with `weights` and `reference` (the same segment of the float model) with `referenceWeights`,
    /// batch by batch over the same samples, and hands each tapped variable of both together (real rows only).
    func runPaired(_ graph: ComputationGraph, weights: Weights, store: [String: [Float]], reference: ComputationGraph,
                   referenceWeights: Weights, referenceStore: [String: [Float]], tap: Set<String>,
                   handler: @escaping PairHandler) throws {
        let executor = try makeExecutor(graph, weights: weights)
        let referenceExecutor = try makeExecutor(reference, weights: referenceWeights)
        for samples in batches {
            var tapped: [String: [Float]] = [:]
            _ = try run(referenceExecutor, samples: samples, store: referenceStore, tap: tap) { name, values, _, _ in
                tapped[name] = Array(values)
            }
            _ = try run(executor, samples: samples, store: store, tap: tap) { name, values, rows, width in
                guard let ref = tapped[name], ref.count == values.count else {
                    throw QuantizationError("'\(name)' has \(values.count) values in the model and \(tapped[name]?.count ?? 0) in the float reference")
                }
                try ref.withUnsafeBufferPointer { try handler(name, values, $0, rows, width) }
            }
        }
    }

    /// The samples of each executor call.
    private var batches: [Range<Int>] {
        stride(from: 0, to: calibration.count, by: samplesPerCall).map { $0..<min($0 + samplesPerCall, calibration.count) }
    }

    private func makeExecutor(_ graph: ComputationGraph, weights: Weights) throws -> Executor {
        var graph = graph.withoutAttentionCache()
        graph.parentGraphID = -1
        let structure = ModelStructure(name: graph.name ?? "segment", architecture: "segment", family: .decoderOnly,
                                       origin: "calibration", graphs: [graph])
        return try Executor(structure: structure, weights: weights, maxRows: samplesPerCall * calibration.length)
    }

    /// One executor call over `samples` (padded rows masked; the handler sees real rows only).
    private func run(_ executor: Executor, samples: Range<Int>, store: [String: [Float]], tap: Set<String>,
                     handler: Executor.TapHandler?) throws -> [String: Executor.Output] {
        let rows = samples.count * calibration.length
        let ints = try integerInputs(executor.inputNames, samples: samples)
        return try withSlices(executor.floatInputNames, store: store, samples: samples) { floats in
            try executor.run(inputs: ints, floats: floats, rows: rows, batch: samples.count, tap: tap,
                             handler: handler.map { realRowsOnly($0, samples: samples) })
        }
    }

    /// A tap handler that sees only the real rows of padded samples (all rows when nothing is padded).
    private func realRowsOnly(_ handler: @escaping Executor.TapHandler, samples: Range<Int>) -> Executor.TapHandler {
        guard calibration.isPadded else { return handler }
        let length = calibration.length, lengths = calibration.lengths
        return { name, values, rows, width in
            // A per-sample value (the pooler's [CLS] row) has no padding to drop.
            if rows == samples.count { return try handler(name, values, rows, width) }
            guard rows == samples.count * length, values.count >= rows * width else {
                throw QuantizationError("tap '\(name)' has \(rows) rows for \(samples.count) samples of \(length)")
            }
            var real: [Float] = []
            real.reserveCapacity(rows * width)
            for (i, s) in samples.enumerated() {
                let first = i * length * width
                real.append(contentsOf: values[first..<(first + lengths[s] * width)])
            }
            try real.withUnsafeBufferPointer { try handler(name, $0, real.count / width, width) }
        }
    }

    /// The integer inputs a Llama or BERT graph reads, for whole samples (padded rows masked), positions from 0.
    private func integerInputs(_ names: [String], samples: Range<Int>) throws -> [String: [Int32]] {
        let length = calibration.length, rows = samples.count * length
        var inputs: [String: [Int32]] = [:]
        for name in names {
            switch name {
            case "token_ids": inputs[name] = samples.flatMap { calibration.samples[$0] }
            case "positions": inputs[name] = (0..<rows).map { Int32($0 % length) }
            case "output_rows": inputs[name] = (0..<rows).map { Int32($0) }
            case "attention_mask": inputs[name] = samples.flatMap { s in (0..<length).map { $0 < calibration.lengths[s] ? 1 : 0 } }
            case "token_type_ids": inputs[name] = [Int32](repeating: 0, count: rows)
            default: throw QuantizationError("calibration does not know how to feed the graph input '\(name)'")
            }
        }
        return inputs
    }

    /// Pointers to the samples' rows of each f32 input, valid inside `body`.
    private func withSlices<T>(_ names: [String], store: [String: [Float]], samples: Range<Int>,
                               _ body: ([String: UnsafeBufferPointer<Float>]) throws -> T) throws -> T {
        var slices: [String: UnsafeBufferPointer<Float>] = [:]
        func next(_ i: Int) throws -> T {
            guard i < names.count else { return try body(slices) }
            guard let values = store[names[i]] else { throw QuantizationError("calibration has no values for '\(names[i])'") }
            let perSample = values.count / calibration.count
            return try values.withUnsafeBufferPointer { all in
                slices[names[i]] = UnsafeBufferPointer(rebasing: all[(samples.lowerBound * perSample)..<(samples.upperBound * perSample)])
                return try next(i + 1)
            }
        }
        return try next(0)
    }
}
