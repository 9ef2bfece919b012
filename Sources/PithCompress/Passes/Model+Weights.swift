import PithGraph
import PithModels
import PithTensor

// MARK: - Reading a parameter as floats, and writing it back in a new encoding

extension Model {
    /// The parameter `name` as f32 values (row-major), whatever its encoding.
    func floatValues(of name: String) throws -> [Float] {
        guard let v = parameter(named: name) else { throw QuantizationError("'\(name)' is not a parameter of the model") }
        guard let data = weights[name], let count = v.elementCount else { throw QuantizationError("parameter '\(name)' has no data") }
        guard v.encoding.byteCount(shape: v.shape) == data.count else {
            throw QuantizationError("parameter '\(name)': \(data.count) bytes do not hold \(v.shape) in \(v.encoding.name)")
        }
        switch v.encoding {
        case .dense(.f32):
            return Array(data.floats.prefix(count))
        case .quantized(let scheme):
            let cols = v.rowLength
            return try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: count / max(cols, 1), cols: cols).dequantize()
        default:
            guard let type = v.encoding.ggmlType, type.canDequantize else {
                throw QuantizationError("parameter '\(name)': cannot read \(v.encoding.name) as floats")
            }
            var values = [Float](repeating: 0, count: count)
            try values.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                try type.dequantize(data.bytes, count: count, into: base)
            }
            return values
        }
    }

    /// The declaration of parameter `name` in the main graph.
    func parameter(named name: String) -> VariableNode? {
        structure.mainGraph?.variable(named: name).flatMap { $0.isParameter ? $0 : nil }
    }

    /// Stores `matrix` as parameter `name`: its packed bytes, and the scheme (or its ggml twin) as the encoding in every graph.
    mutating func store(_ name: String, _ matrix: QuantizedMatrix) {
        let bytes = matrix.pack()
        weights[name] = bytes.withUnsafeBytes { TensorData(copying: $0) }
        setEncoding(of: name, .quantized(canonical: matrix.scheme))
    }

    /// Stores dense f32 values as parameter `name`.
    mutating func store(_ name: String, floats: [Float]) {
        weights[name] = TensorData(floats: floats)
        setEncoding(of: name, .dense(.f32))
    }

    private mutating func setEncoding(of name: String, _ encoding: Encoding) {
        for g in structure.graphs.indices {
            for i in structure.graphs[g].variables.indices where structure.graphs[g].variables[i].name == name {
                structure.graphs[g].variables[i].encoding = encoding
            }
        }
    }
}
