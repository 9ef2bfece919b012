import Foundation
import PithGraph
import PithModels
import PithTensor

/// Runs any valid graph on the CPU: one executor for every architecture (ARCHITECTURE.md).
///
/// Activations are (rows, features) f32 matrices; kernels are chosen by operator and by each weight's encoding.
public final class Executor: @unchecked Sendable {
    public let graph: ComputationGraph
    let plan: ExecutionPlan
    /// Rows one call processes at most; longer inputs are split by the caller (`LanguageModel`).
    public let maxRows: Int
    let buffers: [UnsafeMutablePointer<Float>]
    /// Whether each block's output and the graph's outputs are checked for NaN and infinities (a run that produced one
    /// stops naming the operator); on by default, off with `--no-check-finite`.
    public var checksFinite = true
    var rowsInSlot: [Int]
    private let keepAlive: [TensorData]
    private let weights: Weights

    /// Compiles the model's main graph; throws naming the node or parameter that cannot run.
    public init(structure: ModelStructure, weights: Weights, maxRows: Int = 512) throws {
        guard let declared = structure.mainGraph else { throw ExecutionError("the model has no main graph") }
        try GraphValidator().validate(structure)
        // Module operators (mha, ffn) run as the base operators they stand for.
        let main = try ModuleExpansion().apply(to: declared)
        var compiler = GraphCompiler(graph: main, weights: weights)
        plan = try compiler.compile()
        keepAlive = compiler.converted
        self.weights = weights
        graph = main
        self.maxRows = max(maxRows, 1)
        try MemoryBudget.require(MemoryBudget.product(plan.slotWidths.reduce(0, +), self.maxRows, MemoryLayout<Float>.size),
                                 for: "activations for batches of \(self.maxRows) rows")
        buffers = plan.slotWidths.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0 * max(maxRows, 1), 1)) }
        rowsInSlot = Array(repeating: 0, count: plan.slotWidths.count)
    }

    public convenience init(model: Model, maxRows: Int = 512) throws {
        try self.init(structure: model.structure, weights: model.weights, maxRows: maxRows)
    }

    deinit { for b in buffers { b.deallocate() } }

    /// Bytes of cache one token of one sequence takes (keys and values of every attention operator).
    public var cacheBytesPerToken: Int { plan.cacheWidths.reduce(0, +) * 2 * MemoryLayout<Float>.size }

    /// Throws unless `count` sequences of `capacity` tokens fit in memory (call before `makeState` when the capacity
    /// comes from a flag, a file or a request).
    public func requireStates(capacity: Int, count: Int = 1) throws {
        try MemoryBudget.require(MemoryBudget.product(cacheBytesPerToken, max(capacity, 1), count),
                                 for: count == 1 ? "a cache of \(capacity) tokens" : "\(count) caches of \(capacity) tokens")
    }

    /// Fresh caches for a sequence of up to `capacity` tokens.
    public func makeState(capacity: Int) -> ExecutionState {
        ExecutionState(widths: plan.cacheWidths, capacity: capacity)
    }

    /// Names of the integer inputs the graph reads, in order.
    public var inputNames: [String] { plan.integerInputs }

    /// A graph output: `rows` rows of `width` floats.
    public struct Output {
        public let rows: Int
        public let width: Int
        public let values: [Float]
    }

    /// Runs the graph once on `rows` new tokens, appending them to `state`'s caches.
    /// - Parameters:
    ///   - inputs: every integer input by name (e.g. token_ids, positions, output_rows, attention_mask).
    ///   - batch: how many equal-length sequences the rows hold, one after another (encoders; decoders use 1).
    ///   - state: the KV caches; needed when the graph has cached attention, ignored otherwise.
    public func run(inputs: [String: [Int32]], rows: Int, batch: Int = 1, state: ExecutionState? = nil) throws -> [String: Output] {
        try run(inputs: inputs, floats: [:], rows: rows, batch: batch, state: state)
    }

    /// What one `run` works on.
    struct Call {
        let ints: [[Int32]]
        let rows: Int
        let batch: Int
        let state: ExecutionState?
        var sequenceLength: Int { rows / batch }
    }

    // MARK: - Steps

    func execute(_ step: Step, _ call: Call) throws {
        let ints = call.ints
        switch step {
        case .embedding(let ids, let table, let out):
            let tokens = ints[ids]
            guard tokens.count <= maxRows else { throw ExecutionError("too many token ids") }
            for (t, id) in tokens.enumerated() {
                guard id >= 0, Int(id) < table.rows else { throw ExecutionError("token id \(id) outside the vocabulary of \(table.rows)") }
                table.embeddingRow(Int(id), into: buffers[out] + t * table.cols)
            }
            rowsInSlot[out] = tokens.count
        case .linear(let input, let w, let bias, let out):
            let n = rowsInSlot[input]
            w.linear(input: buffers[input], tokens: n, output: buffers[out])
            if let bias { Kernels.addBias(bias, to: buffers[out], rows: w.rows, tokens: n) }
            rowsInSlot[out] = n
        case .rmsNorm(let input, let weight, let eps, let width, let out):
            let n = rowsInSlot[input]
            Kernels.rmsNorm(buffers[input], weight: weight, epsilon: eps, rows: n, cols: width, output: buffers[out])
            rowsInSlot[out] = n
        case .layerNorm(let input, let weight, let bias, let eps, let width, let out):
            let n = rowsInSlot[input]
            Kernels.layerNorm(buffers[input], weight: weight, bias: bias, epsilon: eps, rows: n, cols: width, output: buffers[out])
            rowsInSlot[out] = n
        case .rope(let input, let positions, let heads, let headDim, let rotary, let base, let mode, let out):
            let n = rowsInSlot[input], width = heads * headDim
            let pos = ints[positions]
            guard pos.count >= n else { throw ExecutionError("positions has \(pos.count) entries for \(n) tokens") }
            if out != input { buffers[out].update(from: buffers[input], count: n * width) }
            pos.withUnsafeBufferPointer { p in
                guard let positions = p.baseAddress else { return }
                Kernels.rope(buffers[out], tokens: n, heads: heads, headDim: headDim, rotaryDims: rotary,
                             positions: positions, base: base, mode: mode)
            }
            rowsInSlot[out] = n
        case .attention(let q, let k, let v, let cacheIndex, let mask, let heads, let kvHeads, let headDim, let causal, let scale, let out):
            let n = rowsInSlot[q]
            guard let cacheIndex, let state = call.state else {
                try attendWithinSequences(q: q, k: k, v: v, mask: mask.map { ints[$0] }, call: call, heads: heads, kvHeads: kvHeads,
                                          headDim: headDim, causal: causal, scale: scale, output: out)
                return
            }
            let cache = state.caches[cacheIndex], width = kvHeads * headDim
            let start = state.length
            (cache.keys + start * width).update(from: buffers[k], count: n * width)
            (cache.values + start * width).update(from: buffers[v], count: n * width)
            Kernels.attention(q: buffers[q], k: cache.keys, v: cache.values, tokens: n, kvLength: start + n,
                              nHeads: heads, nKVHeads: kvHeads, headDim: headDim, causal: causal, scale: scale,
                              mask: nil, output: buffers[out])
            rowsInSlot[out] = n
        case .pooling(let mode, let input, let mask, let width, let out):
            try pool(mode, input: input, mask: mask.map { ints[$0] }, call: call, width: width, output: out)
        case .l2Normalize(let input, let epsilon, let width, let out):
            let n = rowsInSlot[input]
            for r in 0..<n {
                let x = buffers[input] + r * width, y = buffers[out] + r * width
                var sum: Float = 0
                for i in 0..<width { sum += x[i] * x[i] }
                let inverse = 1 / max(sum.squareRoot(), epsilon)
                for i in 0..<width { y[i] = x[i] * inverse }
            }
            rowsInSlot[out] = n
        case .unary(let op, let input, let width, let out):
            let n = rowsInSlot[input], count = n * width
            if out != input { buffers[out].update(from: buffers[input], count: count) }
            switch op {
            case .silu: Kernels.silu(buffers[out], count: count)
            case .gelu: Kernels.gelu(buffers[out], count: count)
            case .relu: for i in 0..<count where buffers[out][i] < 0 { buffers[out][i] = 0 }
            case .tanh: for i in 0..<count { buffers[out][i] = Foundation.tanh(buffers[out][i]) }
            }
            rowsInSlot[out] = n
        case .binary(let op, let a, let b, let width, let out):
            let n = rowsInSlot[a], count = n * width
            switch op {
            case .add: Kernels.add(buffers[a], buffers[b], count: count, output: buffers[out])
            case .mul: Kernels.mul(buffers[a], buffers[b], count: count, output: buffers[out])
            }
            rowsInSlot[out] = n
        case .gatherRows(let input, let indices, let width, let out):
            let n = rowsInSlot[input]
            let picked = ints[indices]
            // The compiler never gives an output the slot of one of its inputs, so rows cannot overlap.
            for (r, index) in picked.enumerated() {
                guard index >= 0, Int(index) < n else { throw ExecutionError("output row \(index) outside 0..<\(n)") }
                (buffers[out] + r * width).update(from: buffers[input] + Int(index) * width, count: width)
            }
            rowsInSlot[out] = picked.count
        case .softmax(let input, let width, let axisLength, let out):
            let n = rowsInSlot[input], count = n * width
            if out != input { buffers[out].update(from: buffers[input], count: count) }
            Kernels.softmax(buffers[out], rows: count / max(axisLength, 1), cols: axisLength)
            rowsInSlot[out] = n
        case .transpose(let input, let inner, let perm, let out):
            transpose(input: input, innerShape: inner, perm: perm, output: out)
        case .concat(let inputs, let shapes, let axis, let out):
            try concat(inputs: inputs, shapes: shapes, axis: axis, output: out)
        case .identity(let input, let width, let out):
            let n = rowsInSlot[input]
            buffers[out].update(from: buffers[input], count: n * width)
            rowsInSlot[out] = n
        }
    }
}

