import PithGraph
import PithModels
import PithTensor

/// Test helper: puts a model's linear weights into a `QuantScheme` by plain round-to-nearest (the real RTN, GPTQ …
/// live in PithCompress), or into f32 holding exactly the values those codes stand for (the "twin" that runs
/// through the reference path), so native kernels can be compared with the f32 path on the same weights.
enum QuantizedReencoding {
    /// Parameters read as the `weight` of a linear operator and by no embedding operator (a tied output projection
    /// shares the embedding table, which stays as it is).
    static func linearWeights(of graph: ComputationGraph) -> Set<String> {
        var linear = Set<String>(), embedding = Set<String>()
        for node in graph.operators {
            guard let name = node.input("weight") else { continue }
            if node.type == "linear" { linear.insert(name) }
            if node.type == "embedding" { embedding.insert(name) }
        }
        return linear.subtracting(embedding)
    }

    /// `scheme` for rows of `cols` values: when the group does not divide the row (128 in SmolLM2's 576), the
    /// largest multiple of 32 below it that does.
    static func scheme(_ scheme: QuantScheme, cols: Int) -> QuantScheme {
        guard scheme.problem(cols: cols) != nil, scheme.format == .int || scheme.format == .fp8, scheme.groupSize > 32 else { return scheme }
        var s = scheme
        for g in stride(from: scheme.groupSize - 32, through: 32, by: -32) where cols % g == 0 {
            s.groupSize = g
            return s
        }
        return scheme
    }

    /// A weight's values as f32 (rows·cols), whatever its encoding.
    static func floats(_ data: TensorData, _ v: VariableNode) throws -> [Float] {
        let n = v.elementCount ?? 0
        switch v.encoding {
        case .quantized(let scheme):
            return try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: n / v.rowLength, cols: v.rowLength).dequantize()
        default:
            guard let type = v.encoding.ggmlType else { throw QuantLayoutError("no decoder for \(v.encoding.name)") }
            return try type.dequantize(data.bytes, count: n)
        }
    }

    /// `model` with every linear weight in `scheme` (nil: dense f32); `twin`: as f32 holding the quantized values.
    static func model(_ model: Model, scheme: QuantScheme?, twin: Bool = false) throws -> Model {
        var out = model
        for gi in out.structure.graphs.indices {
            let targets = linearWeights(of: out.structure.graphs[gi])
            for vi in out.structure.graphs[gi].variables.indices {
                let v = out.structure.graphs[gi].variables[vi]
                guard targets.contains(v.name), v.shape.count == 2, let data = model.weights[v.name] else { continue }
                let values = try floats(data, v)
                let rows = v.shape[0], cols = v.shape[1]
                var encoding = Encoding.dense(.f32)
                var stored = TensorData(floats: values)
                if let scheme {
                    let s = self.scheme(scheme, cols: cols)
                    let bytes = try roundToNearest(values, rows: rows, cols: cols, scheme: s).pack()
                    if twin {
                        // What the stored bytes stand for (double-quantized scales included: packing again would
                        // quantize the already quantized absmax anew).
                        stored = TensorData(floats: try bytes.withUnsafeBytes {
                            try QuantizedMatrix(unpacking: $0, scheme: s, rows: rows, cols: cols)
                        }.dequantize())
                    } else {
                        stored = bytes.withUnsafeBytes { TensorData(copying: $0) }
                        encoding = .quantized(canonical: s)
                    }
                }
                out.structure.graphs[gi].variables[vi].encoding = encoding
                out.weights[v.name] = stored
            }
        }
        return out
    }

    // MARK: - Round to nearest

    /// Codes and scales for (rows, cols) values: int per group (symmetric: the largest magnitude takes code 0, as
    /// ggml's Q4_0; asymmetric: min and max span the codes), nf4/fp4 per block of the flattened tensor, fp8 per group.
    static func roundToNearest(_ x: [Float], rows: Int, cols: Int, scheme: QuantScheme) throws -> QuantizedMatrix {
        var codes = [UInt8](repeating: 0, count: rows * cols), scales: [Float] = [], mins: [Float] = []
        let top = Float((1 << scheme.bits) - 1)
        switch scheme.format {
        case .int, .fp8:
            let g = scheme.group(cols: cols)
            for start in stride(from: 0, to: rows * cols, by: g) {
                let v = x[start..<(start + g)]
                if scheme.format == .fp8 {
                    let scale = (v.map { abs($0) }.max() ?? 0) / FloatCodebook.e4m3Max
                    scales.append(scale)
                    for i in v.indices { codes[i] = FloatCodebook.e4m3Byte(scale > 0 ? x[i] / scale : 0) }
                } else if scheme.symmetric {
                    let z = Float(1 << (scheme.bits - 1))
                    let extreme = v.max { abs($0) < abs($1) } ?? 0
                    let d = QuantizedMatrix.stored(scale: extreme / -z, in: scheme)
                    scales.append(d)
                    for i in v.indices { codes[i] = UInt8(min(top, max(0, (d != 0 ? x[i] / d : 0).rounded() + z))) }
                } else {
                    let lo = v.min() ?? 0, hi = v.max() ?? 0
                    let d = QuantizedMatrix.stored(scale: (hi - lo) / top, in: scheme)
                    let m = QuantizedMatrix.stored(scale: lo, in: scheme)
                    scales.append(d)
                    mins.append(m)
                    for i in v.indices { codes[i] = UInt8(min(top, max(0, (d != 0 ? (x[i] - m) / d : 0).rounded()))) }
                }
            }
        case .nf4, .fp4:
            let table = scheme.format == .nf4 ? FloatCodebook.nf4 : FloatCodebook.fp4
            for start in stride(from: 0, to: rows * cols, by: scheme.groupSize) {
                let v = x[start..<(start + scheme.groupSize)]
                let absmax = v.map { abs($0) }.max() ?? 0
                scales.append(absmax)
                for i in v.indices {
                    let t = absmax > 0 ? x[i] / absmax : 0
                    codes[i] = UInt8(table.indices.min { abs(table[$0] - t) < abs(table[$1] - t) } ?? 0)
                }
            }
        }
        return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
    }
}
