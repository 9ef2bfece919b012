/// Δ = B − A quantized per output channel (GB/T 42382.2 §8.2.6 Q(Δ)): each row gets a scale max|Δ| / (2^(bits−1) − 1)
/// and its values become signed integers in ±(2^(bits−1) − 1), stored one per byte (bits ≤ 8).
struct QuantizedDelta {
    let rows: Int
    let cols: Int
    let bits: Int
    var scales: [Float]
    var values: [Int8]

    static func quantize(_ delta: [Float], rows: Int, cols: Int, bits: Int) -> QuantizedDelta {
        let levels = Float((1 << (bits - 1)) - 1)
        var scales = [Float](repeating: 0, count: rows)
        var values = [Int8](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            var peak: Float = 0
            for c in 0..<cols { peak = max(peak, abs(delta[r * cols + c])) }
            guard peak > 0, peak.isFinite else { continue }
            let scale = peak / levels
            scales[r] = scale
            for c in 0..<cols {
                let q = (delta[r * cols + c] / scale).rounded()
                values[r * cols + c] = Int8(max(-levels, min(levels, q)))
            }
        }
        return QuantizedDelta(rows: rows, cols: cols, bits: bits, scales: scales, values: values)
    }

    /// Q(Δ) as floats.
    func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            let s = scales[r]
            guard s != 0 else { continue }
            for c in 0..<cols { out[r * cols + c] = Float(values[r * cols + c]) * s }
        }
        return out
    }

    /// Serialized: f32 scales (rows), then int8 values (rows × cols).
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: rows * 4 + rows * cols)
        for s in scales { w.u32(s.bitPattern) }
        values.withUnsafeBytes { w.raw(Array($0)) }
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, rows: Int, cols: Int, bits: Int) throws -> QuantizedDelta {
        guard rows >= 0, cols >= 0, rows <= (1 << 32), cols <= (1 << 32) else { throw PackageError.malformed("residual", "absurd delta shape") }
        let (cells, o1) = rows.multipliedReportingOverflow(by: cols)
        let (scaleBytes, o2) = rows.multipliedReportingOverflow(by: 4)
        guard !o1, !o2, bytes.count == scaleBytes + cells else {
            throw PackageError.malformed("residual", "a delta of \(rows)×\(cols) needs \(rows * 4 + rows * cols) bytes, has \(bytes.count)")
        }
        var r = ByteReader(bytes, what: "residual delta")
        var scales = [Float](repeating: 0, count: rows)
        for i in 0..<rows { scales[i] = Float(bitPattern: try r.u32()) }
        let values = try r.raw(cells).map { Int8(bitPattern: $0) }
        return QuantizedDelta(rows: rows, cols: cols, bits: bits, scales: scales, values: values)
    }
}

/// How far a reconstruction is from the target: max |B′ − B| and ‖B′ − B‖ / ‖B‖.
public struct ReconstructionError: Codable, Sendable, Equatable {
    public var maxAbs: Double = 0
    /// Squared norms, summed over tensors, for the relative Frobenius error.
    public var errorSquares: Double = 0
    public var targetSquares: Double = 0

    enum CodingKeys: String, CodingKey { case maxAbs = "max_abs", errorSquares = "error_squares", targetSquares = "target_squares" }

    public var relativeFrobenius: Double { targetSquares > 0 ? (errorSquares / targetSquares).squareRoot() : 0 }

    mutating func add(reconstructed: [Float], target: [Float]) {
        for (a, b) in zip(reconstructed, target) {
            let d = Double(a) - Double(b)
            maxAbs = max(maxAbs, abs(d))
            errorSquares += d * d
            targetSquares += Double(b) * Double(b)
        }
    }

    mutating func add(_ other: ReconstructionError) {
        maxAbs = max(maxAbs, other.maxAbs)
        errorSquares += other.errorSquares
        targetSquares += other.targetSquares
    }
}
