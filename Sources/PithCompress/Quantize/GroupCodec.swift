import PithTensor

/// The extremes of one group of values, from which its scale (and minimum) are made.
struct GroupRange: Sendable {
    var lo: Float = .greatestFiniteMagnitude
    var hi: Float = -.greatestFiniteMagnitude
    /// The signed value of largest magnitude, the first on ties (ggml's Q4_0 rule).
    var signedMax: Float = 0
    var absMax: Float = 0

    init(_ x: UnsafePointer<Float>, count: Int) {
        for j in 0..<count { add(x[j]) }
    }

    init(_ values: [Float]) {
        for v in values { add(v) }
    }

    @inline(__always)
    private mutating func add(_ v: Float) {
        lo = min(lo, v)
        hi = max(hi, v)
        if abs(v) > absMax {
            absMax = abs(v)
            signedMax = v
        }
    }
}

/// One scheme's rule for a group of values sharing a scale: the stored scale (and minimum) from the group's range,
/// the code of a value against those stored parameters, and the value of a code.
///
/// Every algorithm (RTN, GPTQ, AWQ, the float formats) quantizes through this one type, so they agree bit for bit.
struct GroupCodec: Sendable {
    enum Rule: Sendable {
        /// int, symmetric: d = signedMax / −2^(bits−1), q = clamp(round(x/d) + 2^(bits−1)) (ggml Q4_0 for 4 bits).
        case symmetric
        /// int, asymmetric: d = (max − min)/(2^bits − 1), m = min, q = clamp(round((x − m)/d)) (ggml Q4_1 for 4 bits).
        case asymmetric
        /// W8A8 weights: d = absmax/127, q = round(x/d) + 128 within [1, 255] (a symmetric int8 range).
        case absmax127
        /// fp8 E4M3: f32 scale = absmax/448, nearest E4M3 byte.
        case fp8
        /// nf4/fp4: f32 absmax, nearest table level.
        case table
    }

    let scheme: QuantScheme
    let rule: Rule
    let maxCode: Int
    /// The code of zero for symmetric int (2^(bits−1)).
    let zeroCode: Int
    /// nf4/fp4 levels, and the index of the level 0.
    let table: [Float]
    let tableZero: Int
    /// Values per group along the flattened tensor: a row's group for int/fp8, a block for nf4/fp4.
    let groupLength: Int

    init(scheme: QuantScheme, cols: Int) {
        self.scheme = scheme
        maxCode = (1 << scheme.bits) - 1
        zeroCode = 1 << (scheme.bits - 1)
        switch scheme.format {
        case .int:
            rule = scheme.activationBits != nil ? .absmax127 : scheme.symmetric ? .symmetric : .asymmetric
            table = []
        case .fp8:
            rule = .fp8
            table = []
        case .nf4:
            rule = .table
            table = FloatCodebook.nf4
        case .fp4:
            rule = .table
            table = FloatCodebook.fp4
        }
        tableZero = table.firstIndex(of: 0) ?? 0
        groupLength = scheme.format == .nf4 || scheme.format == .fp4 ? scheme.groupSize : scheme.group(cols: cols)
    }

    /// The stored scale and minimum of a group with this range, its extremes shrunk by `shrink` (1 = the full range).
    func parameters(_ r: GroupRange, shrink: Float = 1) throws -> (scale: Float, min: Float) {
        var scale: Float, minimum: Float = 0
        switch rule {
        case .symmetric where scheme.doubleQuantization:
            // Positive scales only (6-bit unsigned codes): the extreme value takes code 0 when negative, the top
            // code 2^bits − 1 when positive.
            let top = r.signedMax < 0 ? Float(zeroCode) : Float(zeroCode - 1)
            scale = r.absMax * shrink / top
        case .symmetric:
            scale = QuantizedMatrix.stored(scale: r.signedMax * shrink / -Float(zeroCode), in: scheme)
        case .asymmetric where scheme.doubleQuantization:
            // The minimum is stored as −dmin·mc with mc ≥ 0: a group above zero starts at 0 (as ggml's Q4_K does).
            let lo = min(r.lo * shrink, 0), hi = max(r.hi * shrink, lo)
            scale = (hi - lo) / Float(maxCode)
            minimum = lo
        case .asymmetric:
            let lo = r.lo * shrink, hi = r.hi * shrink
            scale = QuantizedMatrix.stored(scale: (hi - lo) / Float(maxCode), in: scheme)
            minimum = QuantizedMatrix.stored(scale: lo, in: scheme)
        case .absmax127:
            scale = QuantizedMatrix.stored(scale: r.absMax * shrink / 127, in: scheme)
        case .fp8:
            scale = r.absMax * shrink / FloatCodebook.e4m3Max
        case .table:
            scale = r.absMax * shrink
        }
        guard scale.isFinite, minimum.isFinite else {
            throw QuantizationError("\(scheme): a group spanning [\(r.lo), \(r.hi)] needs a scale beyond the f16 range")
        }
        return (scale, minimum)
    }

    /// The code of `x` against a group's stored scale and minimum (rounding halves up, as ggml's reference does).
    @inline(__always)
    func code(_ x: Float, scale: Float, min m: Float) -> UInt8 {
        switch rule {
        case .symmetric:
            guard scale != 0 else { return UInt8(zeroCode) }
            return clamped((x / scale + Float(zeroCode) + 0.5).rounded(.down), 0, maxCode)
        case .asymmetric:
            guard scale != 0 else { return 0 }
            return clamped(((x - m) / scale + 0.5).rounded(.down), 0, maxCode)
        case .absmax127:
            guard scale != 0 else { return 128 }
            return clamped((x / scale).rounded() + 128, 1, 255)
        case .fp8:
            guard scale != 0 else { return 0 }
            return FloatCodebook.e4m3Byte(x / scale)
        case .table:
            guard scale != 0 else { return UInt8(tableZero) }
            return nearestLevel(x / scale)
        }
    }

    /// The value a code stands for (the dequantization reference).
    @inline(__always)
    func value(_ code: UInt8, scale: Float, min m: Float) -> Float {
        QuantizedMatrix.value(code: code, scale: scale, min: m, scheme: scheme)
    }

    /// The index of the table level nearest to `y` (the first on ties).
    @inline(__always)
    func nearestLevel(_ y: Float) -> UInt8 {
        var best = 0, bestDistance = Float.infinity
        for (i, level) in table.enumerated() where abs(y - level) < bestDistance {
            bestDistance = abs(y - level)
            best = i
        }
        return UInt8(best)
    }

    @inline(__always)
    private func clamped(_ t: Float, _ lo: Int, _ hi: Int) -> UInt8 {
        UInt8(Swift.min(Float(hi), Swift.max(Float(lo), t)))
    }

    // MARK: - Super-blocks

    /// Double-quantized int: fits `scales` and `mins` (rows, groups; float parameters of each group) to super-blocks,
    /// replaces them by the values they stand for, and rounds every code of `weight` (rows, cols) against those.
    func finishSuperBlocks(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, scales: inout [Float], mins: inout [Float],
                           codes: inout [UInt8]) throws -> QuantizedMatrix {
        let fitted = SuperBlockScales.fit(scales: scales, mins: scheme.symmetric ? [] : mins, rows: rows, cols: cols,
                                          scheme: scheme)
        let values = fitted.values(scheme: scheme, cols: cols)
        scales = values.scales
        mins = values.mins
        let g = groupLength
        for i in 0..<(rows * cols) {
            let s = i / g
            codes[i] = code(weight[i], scale: scales[s], min: mins.isEmpty ? 0 : mins[s])
        }
        return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, superBlocks: fitted)
    }

    // MARK: - One group

    /// Quantizes `count` values at `x` (stride 1) as one group: the shrink factor from `shrinks` with the least
    /// squared error (weighted per value by `importance(j)` when given; the first factor wins ties), its parameters,
    /// and the codes written to `codes`.
    /// With `keepZeros` every group's grid holds an exact 0 (`zeroExact`) and the zeros of `x` take its code: the
    /// pruned weights of a sparse layer stay 0.
    func quantizeGroup(_ x: UnsafePointer<Float>, count: Int, shrinks: [Float], importance: ((Int) -> Float)?,
                       codes: UnsafeMutablePointer<UInt8>, keepZeros: Bool = false) throws -> (scale: Float, min: Float) {
        let range = GroupRange(x, count: count)
        func fitted(_ shrink: Float) throws -> (scale: Float, min: Float) {
            let p = try parameters(range, shrink: shrink)
            return keepZeros ? zeroExact(scale: p.scale, min: p.min) : p
        }
        var best = try fitted(1)
        if shrinks.count > 1 || shrinks.first != 1 {
            var bestError = Double.infinity
            for shrink in shrinks {
                guard let p = try? fitted(shrink) else { continue }
                var error: Double = 0
                for j in 0..<count {
                    let e = x[j] - value(code(x[j], scale: p.scale, min: p.min), scale: p.scale, min: p.min)
                    error += Double(e * e * (importance?(j) ?? 1))
                }
                if error < bestError {
                    bestError = error
                    best = p
                }
            }
        }
        for j in 0..<count { codes[j] = code(x[j], scale: best.scale, min: best.min) }
        if keepZeros, let zero = exactZeroCode(scale: best.scale, min: best.min) {
            for j in 0..<count where x[j] == 0 { codes[j] = zero }
        }
        return best
    }
}
