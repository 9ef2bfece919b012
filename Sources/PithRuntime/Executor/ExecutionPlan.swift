import PithGraph
import PithTensor

/// A weight ready for a kernel: its bytes and layout.
struct BoundWeight {
    let pointer: UnsafeRawPointer
    let type: GGMLType
    /// (rows, cols) with cols contiguous; a vector is (1, n).
    let rows: Int
    let cols: Int
    /// A Pith-native quantized layout run by its own kernels (then `type` is unused); nil for ggml and dense types.
    var quantized: QuantizedWeightKernel? = nil
    var floats: UnsafePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
}

/// One compiled operator: activations are slot indices, integer inputs are input indices, weights are bound.
enum Step {
    case embedding(ids: Int, table: BoundWeight, output: Int)
    case linear(input: Int, weight: BoundWeight, bias: UnsafePointer<Float>?, output: Int)
    case rmsNorm(input: Int, weight: UnsafePointer<Float>, epsilon: Float, width: Int, output: Int)
    case layerNorm(input: Int, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?, epsilon: Float, width: Int, output: Int)
    case rope(input: Int, positions: Int, heads: Int, headDim: Int, rotaryDims: Int, base: Float, mode: Kernels.RopeMode, output: Int)
    /// cache nil: attends within each sequence of the call (encoders); mask: integer input, 1 = real token, 0 = padding.
    case attention(query: Int, key: Int, value: Int, cache: Int?, mask: Int?, heads: Int, kvHeads: Int, headDim: Int,
                   causal: Bool, scale: Float, output: Int)
    case unary(UnaryOp, input: Int, width: Int, output: Int)
    case binary(BinaryOp, a: Int, b: Int, width: Int, output: Int)
    case gatherRows(input: Int, indices: Int, width: Int, output: Int)
    /// One row per sequence of the call; mask excludes padding.
    case pooling(PoolingMode, input: Int, mask: Int?, width: Int, output: Int)
    case l2Normalize(input: Int, epsilon: Float, width: Int, output: Int)
    case softmax(input: Int, width: Int, axisLength: Int, output: Int)
    /// Permutes the axes inside each row: innerShape are the dimensions after the token one.
    case transpose(input: Int, innerShape: [Int], perm: [Int], output: Int)
    /// Joins inputs along `axis` (0 = tokens); shapes are each input's dimensions after the token one.
    case concat(inputs: [Int], shapes: [[Int]], axis: Int, output: Int)
    /// Communication operators with one rank: the value passes through unchanged.
    case identity(input: Int, width: Int, output: Int)

    enum UnaryOp { case silu, gelu, relu, tanh }
    enum BinaryOp { case add, mul }
    enum PoolingMode: String { case mean, cls, max, meanSqrtLen = "mean_sqrt_len" }
}

/// The compiled form of a graph: steps in order and the activation slots they share.
struct ExecutionPlan {
    var steps: [Step] = []
    /// Features (row width) of each activation slot's buffer.
    var slotWidths: [Int] = []
    /// Slot of each activation variable.
    var slotOf: [String: Int] = [:]
    /// Features of each variable as declared.
    var widthOf: [String: Int] = [:]
    /// Integer graph inputs in order (token ids, positions, selected rows …).
    var integerInputs: [String] = []
    /// f32 graph inputs in order (activations fed from outside, e.g. a block's hidden states); each has a slot.
    var floatInputs: [String] = []
    /// Width of each attention operator's cache rows.
    var cacheWidths: [Int] = []
    /// Values sent and not yet received (send/recv with one rank), in send order.
    var mailboxes: [Mailbox] = []
    struct Mailbox {
        let peer: Int
        let slot: Int
        var received = false
    }
    /// Graph outputs: name and slot.
    var outputs: [(name: String, slot: Int, width: Int)] = []
}
