/// IEEE 754 binary16 ("half", ggml's F16) conversions on raw bits, exact in both directions where the value fits.
///
/// Written on bits rather than on `Float16`, which is missing on some Apple targets.
public enum Half {
    /// The `Float` that half-precision `bits` encode, exactly (subnormals, infinities and NaN payloads included).
    @inlinable
    public static func toFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0x1f {
            // Infinity or NaN: keep the payload in the top mantissa bits.
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2^-24, exact in Float (mantissa < 2^10).
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The half-precision bits nearest to `value` (round to nearest, ties to even; too large → ±infinity;
    /// NaN stays NaN, quiet).
    @inlinable
    public static func fromFloat(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16((x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xff)
        let mantissa = x & 0x7f_ffff
        if exponent == 0xff {
            return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7c00 }
        if e <= 0 {
            // Below 2^-25 everything rounds to zero (2^-25 itself ties to the even zero).
            if e < -10 { return sign }
            let significand = mantissa | 0x80_0000
            let shift = UInt32(14 - e)
            var half = significand >> shift
            let rest = significand & ((1 << shift) - 1)
            let halfway: UInt32 = 1 << (shift - 1)
            if rest > halfway || (rest == halfway && half & 1 == 1) { half += 1 }
            // A carry into bit 10 yields the smallest normal, which is the right encoding.
            return sign | UInt16(truncatingIfNeeded: half)
        }
        var combined = (UInt32(e) << 10) | (mantissa >> 13)
        let rest = mantissa & 0x1fff
        if rest > 0x1000 || (rest == 0x1000 && combined & 1 == 1) { combined += 1 }
        // A carry out of the mantissa bumps the exponent; from 30 it reaches 31 = infinity, as it should.
        return sign | UInt16(truncatingIfNeeded: combined)
    }
}

/// bfloat16 conversions on raw bits: the top half of an IEEE binary32.
public enum BFloat16 {
    /// The `Float` that bfloat16 `bits` encode, exactly.
    @inlinable
    public static func toFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bfloat16 bits nearest to `value` (round to nearest, ties to even; NaN stays NaN, quiet),
    /// as ggml's `ggml_compute_fp32_to_bf16` rounds.
    @inlinable
    public static func fromFloat(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        if x & 0x7fff_ffff > 0x7f80_0000 {
            return UInt16(truncatingIfNeeded: x >> 16) | 0x40
        }
        // Cannot overflow: the largest finite pattern plus the rounding bias stays below 2^32.
        let rounded = x &+ 0x7fff &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
