/// The value stream of a sparse weight: quantizing kept values to codes and scales, packing them, and reading
/// them back one value at a time (the scalar reference every kernel is checked against).
enum SparseValueCoding {
    /// Codes and f16 scales of a stream. int8 codes are −127…127; int4 codes are −8…7 (stored as code + 8).
    struct Quantized: Equatable {
        var codes: [Int32]
        var scales: [UInt16]
    }

    /// Quantizes `values` (the stream, rows back to back; row r starts at rowStarts[r]) for `scheme`.
    /// Scale groups: one per row when groupSize is 0, else groups of groupSize consecutive stream values.
    static func quantize(_ values: [Float], rowStarts: [Int], scheme: SparseScheme) throws -> Quantized {
        let t = scheme.values.traits
        guard t.quantized else { return Quantized(codes: [], scales: []) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw SparseFormatError.pattern("\(scheme.values.rawValue) cannot store the non-finite value \(values[bad]) (stored value \(bad))")
        }
        var spans: [Range<Int>] = []
        if scheme.groupSize == 0 {
            for r in 0..<(rowStarts.count - 1) { spans.append(rowStarts[r]..<rowStarts[r + 1]) }
        } else {
            var s = 0
            while s < values.count { spans.append(s..<min(s + scheme.groupSize, values.count)); s += scheme.groupSize }
        }
        var codes = [Int32](repeating: 0, count: values.count)
        var scales: [UInt16] = []
        scales.reserveCapacity(spans.count)
        for span in spans {
            let (scale, stored) = try groupScale(values[span], format: scheme.values)
            scales.append(stored)
            let inverse: Float = scale != 0 ? 1 / scale : 0
            for i in span { codes[i] = code(values[i] * inverse, format: scheme.values) }
        }
        return Quantized(codes: codes, scales: scales)
    }

    /// The scale of a group and its f16 bits. int8: max|v|/127 (symmetric); int4: the value of largest magnitude
    /// divided by −8, so it lands exactly on code −8 (ggml Q4_0's choice, one more level than max|v|/7).
    static func groupScale(_ group: ArraySlice<Float>, format: SparseValueFormat) throws -> (Float, UInt16) {
        var extreme: Float = 0
        for v in group where abs(v) > abs(extreme) { extreme = v }
        let raw = format == .int4 ? extreme / -8 : abs(extreme) / 127
        let bits = Half.fromFloat(raw)
        let scale = Half.toFloat(bits)
        guard scale.isFinite else { throw SparseFormatError.pattern("a scale of \(raw) does not fit in f16") }
        return (scale, bits)
    }

    /// The code of v/scale, rounded to nearest and clamped to the format's range.
    static func code(_ ratio: Float, format: SparseValueFormat) -> Int32 {
        let r = ratio.rounded(.toNearestOrEven)
        return format == .int4 ? Int32(max(-8, min(7, r))) : Int32(max(-127, min(127, r)))
    }

    // MARK: - Packing

    /// The value stream's bytes: f32/f16 from `values`, int8/int4 from `codes`.
    static func pack(values: [Float], codes: [Int32], format: SparseValueFormat) -> [UInt8] {
        let count = values.count
        var out = [UInt8](repeating: 0, count: format.streamBytes(count: count) ?? 0)
        switch format {
        case .f32:
            for (i, v) in values.enumerated() { for b in 0..<4 { out[4 * i + b] = UInt8(truncatingIfNeeded: v.bitPattern >> (8 * UInt32(b))) } }
        case .f16:
            for (i, v) in values.enumerated() {
                let h = Half.fromFloat(v)
                out[2 * i] = UInt8(truncatingIfNeeded: h)
                out[2 * i + 1] = UInt8(truncatingIfNeeded: h >> 8)
            }
        case .int8:
            for (i, c) in codes.enumerated() { out[i] = UInt8(bitPattern: Int8(c)) }
        case .int4:
            // Sub-blocks of 32: byte j of a sub-block holds value j in its low nibble and value j + 16 in its high one.
            for (i, c) in codes.enumerated() {
                let block = i / 32, j = i % 32, nibble = UInt8(c + 8)
                out[block * 16 + j % 16] |= j < 16 ? nibble : nibble << 4
            }
        }
        return out
    }

    /// The code of stream value i (int8, int4), from a validated stream at p.
    @inline(__always)
    static func storedCode(_ p: UnsafeRawPointer, _ i: Int, format: SparseValueFormat) -> Int32 {
        switch format {
        case .int8: return Int32(BlockBytes.i8(p, i))
        case .int4:
            let j = i % 32, byte = BlockBytes.u8(p, i / 32 * 16 + j % 16)
            return Int32(j < 16 ? byte & 15 : byte >> 4) - 8
        case .f32, .f16: return 0
        }
    }

    /// Stream value i: f32/f16 as stored, int formats code × scale.
    @inline(__always)
    static func value(_ p: UnsafeRawPointer, _ i: Int, format: SparseValueFormat, scale: Float) -> Float {
        switch format {
        case .f32: return Float(bitPattern: BlockBytes.u32(p, 4 * i))
        case .f16: return BlockBytes.f16(p, 2 * i)
        case .int8, .int4: return scale * Float(storedCode(p, i, format: format))
        }
    }
}
