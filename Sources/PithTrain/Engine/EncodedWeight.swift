import PithGraph
import PithTensor

/// A frozen parameter left in its stored encoding (f16, a ggml block type, a Pith quantized scheme): it is decoded
/// a block of rows at a time where it is used, so a quantized model is never materialized dequantized.
///
/// ggml types (and dense f16/bf16) decode `rowBlock` rows at a time straight from the stored bytes; a Pith
/// `QuantizedMatrix` scheme stores its codes and scales apart, so it is decoded one whole weight at a time.
struct EncodedWeight: @unchecked Sendable {
    let name: String
    /// (rows, cols): the product of the leading dimensions, and the last one.
    let rows: Int
    let cols: Int
    let encoding: Encoding
    let data: TensorData

    /// Rows decoded at once by the streamed products (a 64 × 4096 f32 block is 1 MiB).
    static let rowBlock = 64

    init(name: String, variable: VariableNode, data: TensorData) throws {
        guard let count = variable.elementCount, let expected = variable.encoding.byteCount(shape: variable.shape),
              expected == data.count else {
            throw TrainingError("parameter '\(name)': \(data.count) bytes do not hold \(variable.shape) in \(variable.encoding.name)")
        }
        self.name = name
        cols = max(variable.rowLength, 1)
        rows = count / cols
        encoding = variable.encoding
        self.data = data
        if case .quantized = encoding { return }
        guard let type = encoding.ggmlType, type.canDequantize else {
            throw TrainingError("parameter '\(name)': no decoder reads \(encoding.name)")
        }
    }

    /// Rows [range) as f32, (range.count, cols) row-major.
    func decode(rows range: Range<Int>) throws -> [Float] {
        if case .quantized(let scheme) = encoding {
            let all = try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: rows, cols: cols).dequantize()
            return Array(all[(range.lowerBound * cols)..<(range.upperBound * cols)])
        }
        guard let type = encoding.ggmlType, let rowBytes = type.rowBytes(elements: cols) else {
            throw TrainingError("parameter '\(name)': no decoder reads \(encoding.name)")
        }
        if Kernels.supportsLinear(type), cols % type.blockSize == 0, let base = data.bytes.baseAddress {
            // The runtime's C decoder (f32, f16, bf16, Q8_0, Q4_0, Q4_1), vectorized even in a debug build.
            return [Float](unsafeUninitializedCapacity: range.count * cols) { buffer, initialized in
                if let out = buffer.baseAddress { Kernels.dequantizeRows(weight: base, type: type, cols: cols, rows: range, into: out) }
                initialized = range.count * cols
            }
        }
        let bytes = UnsafeRawBufferPointer(rebasing: data.bytes[(range.lowerBound * rowBytes)..<(range.upperBound * rowBytes)])
        var out = [Float](repeating: 0, count: range.count * cols)
        try out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try type.dequantize(bytes, count: range.count * cols, into: base)
        }
        return out
    }

    /// Every value as f32 (small vectors: norm weights, biases).
    func decodeAll() throws -> [Float] { try decode(rows: 0..<rows) }

    /// The row blocks a streamed product walks: whole weight at once for `QuantizedMatrix` schemes.
    var blocks: [Range<Int>] {
        if case .quantized = encoding { return [0..<rows] }
        return stride(from: 0, to: rows, by: Self.rowBlock).map { $0..<min($0 + Self.rowBlock, rows) }
    }
}
