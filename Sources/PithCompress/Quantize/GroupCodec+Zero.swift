import PithTensor

// MARK: - An exact zero on the grid, for pruned weights

extension GroupCodec {
    /// A group's parameters adjusted so that 0 is one of its values exactly, for layers whose pruned weights must stay
    /// 0 after quantization.
    ///
    /// Symmetric int, W8A8, fp8 and the nf4/fp4 tables hold an exact 0 already (the middle code, the zero level).
    /// Asymmetric int values are d·q + m: 0 is exact when m = −d·z for an integer zero point z (GPTQ's and
    /// SparseGPT's quantizer, `zero = round(−min/scale)`) and d·z is itself an f16 number, so that the stored m is
    /// exactly −d·z. The f16 scale keeps 11 − bits(z) significant bits (rounded up, so the range does not shrink)
    /// for that: at most 2⁻⁶ of a step for 4-bit codes. Double-quantized asymmetric groups (m = −dmin·mc against
    /// super-block scales) are returned unchanged: they hold no exact 0, and the caller reports it.
    func zeroExact(scale: Float, min m: Float) -> (scale: Float, min: Float) {
        guard rule == .asymmetric, !scheme.doubleQuantization, scale > 0, scale.isFinite, m < 0 else { return (scale, m) }
        let z = Swift.min(Float(maxCode), (-m / scale).rounded())
        guard z > 0 else { return (scale, 0) }
        let zeroBits = Int(z).bitWidth - Int(z).leadingZeroBitCount
        let ulp = Float(sign: .plus, exponent: scale.exponent - (10 - zeroBits), significand: 1)
        let trimmed = (scale / ulp).rounded(.up) * ulp
        let minimum = -trimmed * z
        guard Half.toFloat(Half.fromFloat(trimmed)) == trimmed, Half.toFloat(Half.fromFloat(minimum)) == minimum,
              trimmed * z + minimum == 0 else { return (scale, m) }
        return (trimmed, minimum)
    }

    /// A code whose value is exactly 0 against these stored parameters, or nil when the group has none.
    func exactZeroCode(scale: Float, min m: Float) -> UInt8? {
        let candidate: UInt8
        switch rule {
        case .symmetric: candidate = UInt8(zeroCode)
        case .absmax127: candidate = 128
        case .table: candidate = UInt8(tableZero)
        case .fp8, .asymmetric: candidate = code(0, scale: scale, min: m)
        }
        return value(candidate, scale: scale, min: m) == 0 ? candidate : nil
    }
}
