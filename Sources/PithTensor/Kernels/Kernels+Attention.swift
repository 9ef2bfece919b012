import PithKernels

extension Kernels {
    /// Multi-head attention with grouped KV heads over a cache.
    ///
    /// q: (tokens, nHeads, headDim); k, v: (kvLength, nKVHeads, headDim), the cache with the new tokens
    /// already appended at the end. Query t sits at absolute position kvLength - tokens + t; when causal
    /// it sees keys 0...that position. mask: optional additive (tokens, kvLength), applied before softmax.
    /// A query whose every key is masked gets a zero output. output: (tokens, nHeads, headDim).
    public static func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 tokens: Int, kvLength: Int, nHeads: Int, nKVHeads: Int, headDim: Int,
                                 causal: Bool, scale: Float, mask: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        precondition(nKVHeads > 0 && nHeads % nKVHeads == 0, "attention: \(nHeads) heads over \(nKVHeads) KV heads")
        precondition(tokens <= kvLength, "attention: \(tokens) queries but only \(kvLength) cached keys")
        pith_attention(ThreadPool.shared.handle, q, k, v, Int64(tokens), Int64(kvLength), Int64(nHeads),
                       Int64(nKVHeads), Int64(headDim), causal ? 1 : 0, scale, mask, output)
    }

    /// Which dimensions rotary embedding pairs up.
    public enum RopeMode: Sendable {
        /// Pairs (2i, 2i+1): ggml's "normal" mode, right for llama GGUFs (the converter permutes q/k).
        case interleaved
        /// Pairs (i, i + rotaryDims/2): NeoX and Hugging Face Llama.
        case halfSplit
    }

    /// Rotates x (tokens, heads, headDim) in place; token t has absolute position positions[t].
    ///
    /// Only the first rotaryDims of each head rotate; pair i turns by pos · base^(-2i/rotaryDims).
    public static func rope(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDim: Int, rotaryDims: Int,
                            positions: UnsafePointer<Int32>, base: Float, mode: RopeMode) {
        precondition(rotaryDims <= headDim && rotaryDims % 2 == 0, "rope: rotaryDims \(rotaryDims) of headDim \(headDim)")
        pith_rope(x, Int64(tokens), Int64(heads), Int64(headDim), Int64(rotaryDims), positions, base,
                  mode == .halfSplit ? 1 : 0)
    }
}
