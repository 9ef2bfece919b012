// TEMPORARY: plain stand-ins for the numerical algorithms of branch `algo` (Sources/PithCompress/Quantize/), with the
// names and signatures of the agreed contract, so the pass framework builds and is tested before that branch lands.
// Delete this file when merging `algo`.
import COpenBLAS
import Foundation
import PithTensor

/// Sums over the rows of a linear layer's input X (tokens, features): XᵀX, Σ|x|, max |x|, and a few kept rows.
public struct InputStatistics: Sendable {
    public let features: Int
    public let keepSampleRows: Int
    public let keepsGram = true
    public private(set) var tokens = 0
    /// XᵀX, (features, features).
    public private(set) var gram: [Double]
    public private(set) var absSum: [Double]
    public private(set) var absMax: [Float]
    /// Up to `keepSampleRows` rows, (n, features).
    public private(set) var sampleRows: [Float] = []
    public var sampleCount: Int { sampleRows.count / max(features, 1) }

    public init(features: Int, keepSampleRows: Int = 512) {
        self.features = features
        self.keepSampleRows = keepSampleRows
        gram = [Double](repeating: 0, count: features * features)
        absSum = [Double](repeating: 0, count: features)
        absMax = [Float](repeating: 0, count: features)
    }

    public mutating func accumulate(_ rows: UnsafePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let f = features
        var chunk = [Float](repeating: 0, count: f * f)
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(f), Int32(count), 1, rows, Int32(f), 0, &chunk, Int32(f))
        for i in 0..<f { for j in i..<f { gram[i * f + j] += Double(chunk[i * f + j]); if j != i { gram[j * f + i] = gram[i * f + j] } } }
        for r in 0..<count {
            for i in 0..<f {
                let a = abs(rows[r * f + i])
                absSum[i] += Double(a)
                if a > absMax[i] { absMax[i] = a }
            }
        }
        let keep = min(count, keepSampleRows - sampleRows.count / max(f, 1))
        if keep > 0 { sampleRows += UnsafeBufferPointer(start: rows, count: keep * f) }
        tokens += count
    }

    public mutating func merge(_ other: InputStatistics) {
        for i in gram.indices { gram[i] += other.gram[i] }
        for i in 0..<features {
            absSum[i] += other.absSum[i]
            absMax[i] = max(absMax[i], other.absMax[i])
        }
        let keep = min(other.sampleRows.count / max(features, 1), keepSampleRows - sampleRows.count / max(features, 1))
        if keep > 0 { sampleRows += other.sampleRows.prefix(keep * features) }
        tokens += other.tokens
    }
}

/// Round-to-nearest onto a scheme's grid (min/max per group).
public enum RTN {
    public static func quantize(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, clipSearch: Bool = false,
                                importance: [Float]? = nil) throws -> QuantizedMatrix {
        if scheme.format != .int { return try FloatQuantizer.quantize(w, rows: rows, cols: cols, scheme: scheme) }
        let g = scheme.group(cols: cols), groups = rows * cols / g
        var codes = [UInt8](repeating: 0, count: rows * cols), scales = [Float](repeating: 0, count: groups)
        var mins = [Float](repeating: 0, count: scheme.symmetric ? 0 : groups)
        let maxq = Float((1 << scheme.bits) - 1)
        for s in 0..<groups {
            let slice = w[(s * g)..<((s + 1) * g)]
            if scheme.symmetric {
                let amax = slice.reduce(Float(0)) { max($0, abs($1)) }
                let half = Float(1 << (scheme.bits - 1))
                let d = QuantizedMatrix.stored(scale: amax / (half - (scheme.bits == 8 ? 1 : 0.5)), in: scheme)
                scales[s] = d
                let inv: Float = d > 0 ? 1 / d : 0
                for i in 0..<g { codes[s * g + i] = UInt8(max(0, min(maxq, (slice[slice.startIndex + i] * inv).rounded() + half))) }
            } else {
                let lo = slice.min() ?? 0, hi = slice.max() ?? 0
                let d = QuantizedMatrix.stored(scale: (hi - lo) / maxq, in: scheme)
                let m = QuantizedMatrix.stored(scale: lo, in: scheme)
                scales[s] = d
                mins[s] = m
                let inv: Float = d > 0 ? 1 / d : 0
                for i in 0..<g { codes[s * g + i] = UInt8(max(0, min(maxq, ((slice[slice.startIndex + i] - m) * inv).rounded()))) }
            }
        }
        return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
    }
}

public struct GPTQOptions: Sendable {
    public var dampening: Double = 0.01
    public var blockSize: Int = 128
    public var actOrder = true
    public var staticGroups = true
    public init() {}
}

/// GPTQ (Frantar et al. 2022), plain column by column (no act-order, no lazy batches).
public enum GPTQ {
    public static func quantize(_ weights: [Float], rows: Int, cols: Int, scheme: QuantScheme, statistics: InputStatistics,
                                options: GPTQOptions = GPTQOptions()) throws -> (matrix: QuantizedMatrix, loss: Double) {
        let n = cols
        var h = statistics.gram.map { 2 * $0 / Double(max(statistics.tokens, 1)) }
        var w = weights.map(Double.init)
        let meanDiag = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        for i in 0..<n {
            if h[i * n + i] == 0 { h[i * n + i] = 1; for r in 0..<rows { w[r * n + i] = 0 } }
            h[i * n + i] += options.dampening * meanDiag
        }
        try LinearAlgebra.cholesky(&h, n: n)
        try LinearAlgebra.choleskyInverse(&h, n: n)
        try LinearAlgebra.cholesky(&h, n: n, lower: false)
        let g = scheme.group(cols: cols)
        var result = try RTN.quantize(weights, rows: rows, cols: cols, scheme: scheme)
        var loss = 0.0
        var column = [Float](repeating: 0, count: rows)
        for i in 0..<n {
            if i % g == 0 {
                // Scales of this group from the current (updated) weights.
                var part = [Float](repeating: 0, count: rows * g)
                for r in 0..<rows { for j in 0..<g { part[r * g + j] = Float(w[r * n + i + j]) } }
                let q = try RTN.quantize(part, rows: rows, cols: g, scheme: QuantScheme(format: scheme.format, bits: scheme.bits, groupSize: g, symmetric: scheme.symmetric))
                for r in 0..<rows {
                    result.scales[r * (n / g) + i / g] = q.scales[r]
                    if !scheme.symmetric { result.mins[r * (n / g) + i / g] = q.mins[r] }
                }
            }
            let d = h[i * n + i]
            for r in 0..<rows {
                let s = r * (n / g) + i / g
                let scale = result.scales[s], m = scheme.symmetric ? 0 : result.mins[s]
                let half = scheme.symmetric ? Float(1 << (scheme.bits - 1)) : 0
                let inv: Float = scale > 0 ? 1 / scale : 0
                let x = Float(w[r * n + i])
                let code = UInt8(max(0, min(Float((1 << scheme.bits) - 1), ((x - m) * inv).rounded() + half)))
                result.codes[r * n + i] = code
                let qv = QuantizedMatrix.value(code: code, scale: scale, min: m, scheme: scheme)
                column[r] = qv
                let err = (Double(x) - Double(qv)) / d
                loss += (Double(x) - Double(qv)) * (Double(x) - Double(qv)) / (d * d) / 2
                for j in (i + 1)..<n { w[r * n + j] -= err * h[i * n + j] }
            }
        }
        return (result, loss)
    }
}

public struct AWQOptions: Sendable {
    public var grid = 20
    public var clipSearch = true
    public var maxSampleRows = 512
    public init() {}
}

/// AWQ (Lin et al. 2023): per-input-channel scales s = mean|x|^α, α from a grid, minimising the output error.
public enum AWQ {
    public static func searchScales(weights: [[Float]], rows: [Int], cols: Int, scheme: QuantScheme, statistics: InputStatistics,
                                    options: AWQOptions = AWQOptions()) throws -> (scales: [Float], alpha: Double, loss: Double) {
        let x = statistics.sampleRows, t = x.count / max(cols, 1)
        let mean = statistics.absSum.map { Float($0 / Double(max(statistics.tokens, 1))) }
        func loss(_ s: [Float]) throws -> Double {
            var total = 0.0
            for (w, r) in zip(weights, rows) {
                var scaled = w
                for i in 0..<r { for j in 0..<cols { scaled[i * cols + j] *= s[j] } }
                var q = try RTN.quantize(scaled, rows: r, cols: cols, scheme: scheme).dequantize()
                for i in 0..<r { for j in 0..<cols { q[i * cols + j] /= s[j] } }
                for k in 0..<t {
                    for i in 0..<r {
                        var e: Float = 0
                        for j in 0..<cols { e += (q[i * cols + j] - w[i * cols + j]) * x[k * cols + j] }
                        total += Double(e * e)
                    }
                }
            }
            return total
        }
        var best = ([Float](repeating: 1, count: cols), 0.0, try loss([Float](repeating: 1, count: cols)))
        for step in 1..<options.grid {
            let alpha = Double(step) / Double(options.grid)
            var s = mean.map { max(pow($0, Float(alpha)), 1e-4) }
            let norm = (s.max()! * s.min()!).squareRoot()
            s = s.map { $0 / norm }
            let l = try loss(s)
            if l < best.2 { best = (s, alpha, l) }
        }
        return best
    }

    public static func clip(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme, statistics: InputStatistics,
                            grid: Int = 20, maxShrink: Double = 0.5) throws -> [Float] { w }
}

/// SmoothQuant (Xiao et al. 2022): s_j = max|X_j|^α / max|W_j|^(1−α).
public enum SmoothQuant {
    public static func scales(activationAbsMax: [Float], weights: [[Float]], rows: [Int], cols: Int, alpha: Double = 0.5) -> [Float] {
        (0..<cols).map { j in
            var wmax: Float = 0
            for (w, r) in zip(weights, rows) { for i in 0..<r { wmax = max(wmax, abs(w[i * cols + j])) } }
            let s = pow(max(activationAbsMax[j], 1e-5), Float(alpha)) / pow(max(wmax, 1e-5), Float(1 - alpha))
            return s.isFinite && s > 0 ? s : 1
        }
    }
}

/// NF4/FP4 (block absmax onto a 16-level code book), FP8 E4M3 and W8A8 weights.
public enum FloatQuantizer {
    public static func quantize(_ w: [Float], rows: Int, cols: Int, scheme: QuantScheme) throws -> QuantizedMatrix {
        switch scheme.format {
        case .int:
            return try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme)
        case .fp8:
            let g = scheme.group(cols: cols)
            var codes = [UInt8](repeating: 0, count: w.count), scales: [Float] = []
            for s in 0..<(w.count / g) {
                let amax = w[(s * g)..<((s + 1) * g)].reduce(Float(0)) { max($0, abs($1)) }
                let d = amax > 0 ? amax / FloatCodebook.e4m3Max : 1
                scales.append(d)
                for i in (s * g)..<((s + 1) * g) { codes[i] = FloatCodebook.e4m3Byte(w[i] / d) }
            }
            return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales)
        case .nf4, .fp4:
            let table = scheme.format == .nf4 ? FloatCodebook.nf4 : FloatCodebook.fp4
            let b = scheme.groupSize
            var codes = [UInt8](repeating: 0, count: w.count), scales: [Float] = []
            for s in 0..<(w.count / b) {
                let amax = w[(s * b)..<((s + 1) * b)].reduce(Float(0)) { max($0, abs($1)) }
                scales.append(amax)
                let inv: Float = amax > 0 ? 1 / amax : 0
                for i in (s * b)..<((s + 1) * b) {
                    let x = w[i] * inv
                    codes[i] = UInt8(table.indices.min { abs(table[$0] - x) < abs(table[$1] - x) } ?? 0)
                }
            }
            return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales)
        }
    }
}
