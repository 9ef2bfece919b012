import PithTensor

/// The kernels a bound weight runs on: ggml and dense types through `Kernels`, Pith-native layouts through
/// their own `QuantizedWeightKernel` (GraphCompiler binds a `.quantized` weight natively whenever one accepts it).
extension BoundWeight {
    /// output (tokens, rows) = input (tokens, cols) · Wᵀ.
    func linear(input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>) {
        if let quantized {
            quantized.linear(weight: pointer, input: input, tokens: tokens, output: output)
        } else {
            Kernels.linear(weight: pointer, type: type, rows: rows, cols: cols, input: input, tokens: tokens, output: output)
        }
    }

    /// Row `index` of this (embedding) table into dst (cols).
    func embeddingRow(_ index: Int, into dst: UnsafeMutablePointer<Float>) {
        if let quantized {
            quantized.embeddingRow(table: pointer, index: index, into: dst)
        } else {
            Kernels.embeddingRow(table: pointer, type: type, cols: cols, index: index, into: dst)
        }
    }
}
