/// The reference (plain scalar) codec of one ggml type: whole blocks in, floats out, and back where supported.
struct ReferenceCodec: Sendable {
    /// Decodes `blocks` consecutive blocks at `src` into `blocks · blockSize` floats at `dst`.
    let dequantize: @Sendable (UnsafeRawPointer, Int, UnsafeMutablePointer<Float>) -> Void
    /// Encodes `blocks · blockSize` floats at `src` into `blocks` blocks at `dst`, when this type has a reference encoder.
    let quantize: (@Sendable (UnsafePointer<Float>, Int, UnsafeMutableRawPointer) -> Void)?
}

extension GGMLType {
    // The codec column of the type table; a type without a row is neither decoded nor encoded.
    static let referenceCodecs: [GGMLType: ReferenceCodec] = [
        .f32: ReferenceCodec(dequantize: DenseCodec.dequantizeF32, quantize: DenseCodec.quantizeF32),
        .f16: ReferenceCodec(dequantize: DenseCodec.dequantizeF16, quantize: DenseCodec.quantizeF16),
        .bf16: ReferenceCodec(dequantize: DenseCodec.dequantizeBF16, quantize: DenseCodec.quantizeBF16),
        .q4_0: ReferenceCodec(dequantize: LegacyCodec.dequantizeQ4_0, quantize: LegacyCodec.quantizeQ4_0),
        .q4_1: ReferenceCodec(dequantize: LegacyCodec.dequantizeQ4_1, quantize: LegacyCodec.quantizeQ4_1),
        .q5_0: ReferenceCodec(dequantize: LegacyCodec.dequantizeQ5_0, quantize: LegacyCodec.quantizeQ5_0),
        .q5_1: ReferenceCodec(dequantize: LegacyCodec.dequantizeQ5_1, quantize: LegacyCodec.quantizeQ5_1),
        .q8_0: ReferenceCodec(dequantize: LegacyCodec.dequantizeQ8_0, quantize: LegacyCodec.quantizeQ8_0),
        .q2_K: ReferenceCodec(dequantize: KQuantCodec.dequantizeQ2_K, quantize: nil),
        .q3_K: ReferenceCodec(dequantize: KQuantCodec.dequantizeQ3_K, quantize: nil),
        .q4_K: ReferenceCodec(dequantize: KQuantCodec.dequantizeQ4_K, quantize: nil),
        .q5_K: ReferenceCodec(dequantize: KQuantCodec.dequantizeQ5_K, quantize: nil),
        .q6_K: ReferenceCodec(dequantize: KQuantCodec.dequantizeQ6_K, quantize: nil),
    ]

    /// Whether `dequantize(_:count:into:)` supports this type.
    public var canDequantize: Bool { Self.referenceCodecs[self] != nil }

    /// Whether `quantize(_:count:into:)` supports this type.
    public var canQuantize: Bool { Self.referenceCodecs[self]?.quantize != nil }

    /// The number of blocks `count` values fill, or an error when `count` is negative or not whole blocks.
    private func blocks(for count: Int) throws -> (blocks: Int, bytes: Int) {
        guard count >= 0 else { throw QuantError(self, "negative element count \(count)") }
        guard let bytes = rowBytes(elements: count) else {
            throw QuantError(self, "count \(count) is not a multiple of the block size \(blockSize)")
        }
        return (count / blockSize, bytes)
    }

    /// Decodes `count` values from `src` into `dst` with the plain scalar reference for this type.
    ///
    /// `count` must be whole blocks and `src` must hold at least their bytes; `dst` must have room for `count` floats.
    public func dequantize(_ src: UnsafeRawBufferPointer, count: Int, into dst: UnsafeMutablePointer<Float>) throws {
        guard let codec = Self.referenceCodecs[self] else {
            throw QuantError(self, "dequantization of \(name) is not supported")
        }
        let (blocks, bytes) = try blocks(for: count)
        guard src.count >= bytes else {
            throw QuantError(self, "source has \(src.count) bytes; \(count) values need \(bytes)")
        }
        guard blocks > 0, let base = src.baseAddress else { return }
        codec.dequantize(base, blocks, dst)
    }

    /// Encodes `count` floats from `src` into `dst` as ggml's reference quantizer for this type does.
    ///
    /// `count` must be whole blocks, every value finite, and `dst` must have room for `rowBytes(elements: count)` bytes.
    public func quantize(_ src: UnsafePointer<Float>, count: Int, into dst: UnsafeMutableRawPointer) throws {
        guard let encode = Self.referenceCodecs[self]?.quantize else {
            throw QuantError(self, "quantization to \(name) is not supported")
        }
        let (blocks, _) = try blocks(for: count)
        // Dense types carry non-finite values faithfully; block scales computed from them would be meaningless.
        if isQuantized, let bad = (0..<count).first(where: { !src[$0].isFinite }) {
            throw QuantError(self, "value \(src[bad]) at index \(bad) is not finite")
        }
        encode(src, blocks, dst)
    }

    /// Decodes `count` values into a new array (convenience over `dequantize(_:count:into:)`).
    public func dequantize(_ src: UnsafeRawBufferPointer, count: Int) throws -> [Float] {
        guard count > 0 else {
            guard canDequantize else { throw QuantError(self, "dequantization of \(name) is not supported") }
            _ = try blocks(for: count)
            return []
        }
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let base = buffer.baseAddress else { throw QuantError(self, "cannot allocate \(count) floats") }
            base.initialize(repeating: 0, count: count)
            initialized = count
            try dequantize(src, count: count, into: base)
        }
    }
}
