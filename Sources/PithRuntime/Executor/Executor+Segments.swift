import PithGraph

// MARK: - Running a segment of a graph: f32 inputs fed from outside, and taps on intermediate values

extension Executor {
    /// Receives the value of a tapped variable right after the step that produced it: `rows × width` floats, valid
    /// only during the call (the buffer is reused by later steps).
    public typealias TapHandler = (_ name: String, _ values: UnsafeBufferPointer<Float>, _ rows: Int, _ width: Int) throws -> Void

    /// Names of the f32 inputs the graph reads (activations fed from outside), in order.
    public var floatInputNames: [String] { plan.floatInputs }

    /// Features per row of a variable the graph computes or reads (0 when it is not an activation).
    public func width(of name: String) -> Int { plan.widthOf[name] ?? 0 }

    /// Runs the graph once, like `run(inputs:rows:batch:state:)`, with f32 inputs and taps.
    /// - Parameters:
    ///   - floats: every f32 input by name, `rows × width` values each (row-major).
    ///   - tap: variables to hand to `handler` as soon as they are computed (graph inputs are handed first).
    public func run(inputs: [String: [Int32]], floats: [String: UnsafeBufferPointer<Float>], rows: Int, batch: Int = 1,
                    state: ExecutionState? = nil, tap: Set<String> = [], handler: TapHandler? = nil) throws -> [String: Output] {
        guard rows > 0, rows <= maxRows else { throw ExecutionError("a call takes 1…\(maxRows) rows, got \(rows)") }
        guard batch > 0, rows % batch == 0 else { throw ExecutionError("\(rows) rows do not split into \(batch) equal sequences") }
        if !plan.cacheWidths.isEmpty {
            guard let state else { throw ExecutionError("the graph keeps a KV cache: pass a state") }
            guard batch == 1 else { throw ExecutionError("a graph with a KV cache runs one sequence per call") }
            guard state.length + rows <= state.capacity else {
                throw ExecutionError("context full: \(state.length) + \(rows) tokens exceed the cache of \(state.capacity)")
            }
        }
        var ints: [[Int32]] = []
        for name in plan.integerInputs {
            guard let values = inputs[name] else { throw ExecutionError("missing graph input '\(name)'") }
            ints.append(values)
        }
        for name in plan.floatInputs {
            guard let values = floats[name] else { throw ExecutionError("missing f32 graph input '\(name)'") }
            guard let slot = plan.slotOf[name], let width = plan.widthOf[name], let source = values.baseAddress else {
                throw ExecutionError("f32 graph input '\(name)' has no buffer")
            }
            guard values.count == rows * width else {
                throw ExecutionError("f32 input '\(name)' has \(values.count) values, \(rows) rows × \(width) expected")
            }
            buffers[slot].update(from: source, count: values.count)
            rowsInSlot[slot] = rows
        }
        func hand(_ name: String) throws {
            guard let handler, let slot = plan.slotOf[name], let width = plan.widthOf[name] else { return }
            try handler(name, UnsafeBufferPointer(start: buffers[slot], count: rowsInSlot[slot] * width), rowsInSlot[slot], width)
        }
        for name in plan.floatInputs where tap.contains(name) { try hand(name) }
        // Step i runs operator i (the compiler emits exactly one step per operator), so its output is the operator's.
        let tapped: [String?] = tap.isEmpty ? [] : graph.operators.map { node in
            node.outputs["output"]?.first.flatMap { tap.contains($0) ? $0 : nil }
        }
        let call = Call(ints: ints, rows: rows, batch: batch, state: state)
        for (i, step) in plan.steps.enumerated() {
            try execute(step, call)
            if i < tapped.count, let name = tapped[i] { try hand(name) }
            // The residual sums are the blocks' outputs: checking them names the block where a value went bad.
            if checksFinite, case .binary(.add, _, _, let width, let output) = step { try checkFinite(slot: output, width: width, step: i) }
        }
        if checksFinite { for (_, slot, width) in plan.outputs { try checkFinite(slot: slot, width: width, step: nil) } }
        if let state, !plan.cacheWidths.isEmpty { state.length += rows }
        var result: [String: Output] = [:]
        for (name, slot, w) in plan.outputs {
            let n = rowsInSlot[slot]
            result[name] = Output(rows: n, width: w, values: Array(UnsafeBufferPointer(start: buffers[slot], count: n * w)))
        }
        return result
    }
}

extension Executor {
    /// Throws naming the operator (step `step`, or the graph output when nil) whose output holds a NaN or an infinity.
    func checkFinite(slot: Int, width: Int, step: Int?) throws {
        let values = UnsafeBufferPointer(start: buffers[slot], count: rowsInSlot[slot] * width)
        // x·0 is 0 for every finite x and NaN otherwise, so one sum tells.
        var probe: Float = 0
        for x in values { probe += x * 0 }
        guard !probe.isFinite else { return }
        let name = step.flatMap { $0 < graph.operators.count ? "operator '\(graph.operators[$0].name)' (\(graph.operators[$0].type))" : nil }
            ?? "a graph output"
        throw ExecutionError("\(name) produced a value that is not finite (NaN or infinity): the model's weights or hyper-parameters "
                             + "are broken (--no-check-finite runs on regardless)")
    }
}
