import PithTensor

/// The float code books and the W8A8 weight rule: NF4/FP4 (absmax per block), FP8 E4M3, int8 per channel.
public enum FloatQuantizer {
    /// Quantizes to the nearest code of the scheme's format.
    ///
    /// - NF4/FP4: absmax per block of `groupSize` (64) values over the flattened tensor; code = the table level nearest
    ///   to x/absmax (the first on ties). Scales are the f32 absmax values; `pack()` applies double quantization.
    /// - FP8 E4M3: f32 scale = absmax/448 per group (per row when `groupSize` is 0); code = `e4m3Byte(x/scale)`.
    /// - W8A8 (`activationBits` 8): d = absmax/127 per row, stored as f16; q = round(x/d) + 128 within [1, 255].
    /// - Any other int scheme: round-to-nearest as `RTN.quantize` without clipping.
    public static func quantize(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme) throws -> QuantizedMatrix {
        try QuantizationInput.validate(weight, rows: rows, cols: cols, scheme: scheme)
        return try RTN.quantizeValidated(weight, rows: rows, cols: cols, scheme: scheme, shrinks: [1], importance: nil)
    }
}
