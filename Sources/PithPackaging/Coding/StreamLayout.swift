import PithTensor

/// One homogeneous byte stream of a block layout: from every block, `count` bytes at `start`, `start + stride`, …
///
/// A block's fields become streams so that bytes of one kind (scale bytes, quant bytes, exponent bytes) are
/// modelled together: an f16 field of width 2 yields two streams, its low (mantissa) and high (sign, exponent)
/// bytes; a field of 8-bit or packed 4-bit quants yields one stream of its bytes.
struct StreamSpec: Equatable, Sendable {
    let start: Int
    let count: Int
    let stride: Int
}

/// The streams the encoder splits each type's blocks into: a table of block fields, as ggml lays them out
/// (ggml-common.h), with the byte width of their elements.
///
/// The decoder does not rely on this table: the coded header carries the streams, so the table may change
/// without a format change.
enum StreamLayout {
    /// A block field: `length` bytes at `offset`, made of little-endian elements `width` bytes wide.
    struct Field: Sendable {
        let offset: Int, length: Int, width: Int
        init(_ offset: Int, _ length: Int, width: Int = 1) {
            self.offset = offset; self.length = length; self.width = width
        }
    }

    static let fields: [GGMLType: [Field]] = [
        // Dense scalars: byte planes (F16 low byte = mantissa, high byte = sign, exponent, 2 mantissa bits).
        .f32: [Field(0, 4, width: 4)],
        .f16: [Field(0, 2, width: 2)],
        .bf16: [Field(0, 2, width: 2)],
        .f64: [Field(0, 8, width: 8)],
        .i8: [Field(0, 1)],
        .i16: [Field(0, 2, width: 2)],
        .i32: [Field(0, 4, width: 4)],
        .i64: [Field(0, 8, width: 8)],
        // Legacy blocks of 32: f16 d (and m / s), then quants.
        .q4_0: [Field(0, 2, width: 2), Field(2, 16)],
        .q4_1: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 16)],
        .q5_0: [Field(0, 2, width: 2), Field(2, 4), Field(6, 16)],
        .q5_1: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 4), Field(8, 16)],
        .q8_0: [Field(0, 2, width: 2), Field(2, 32)],
        .q8_1: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 32)],
        .iq4_nl: [Field(0, 2, width: 2), Field(2, 16)],
        // K-quants, super-blocks of 256.
        .q2_K: [Field(0, 16), Field(16, 64), Field(80, 2, width: 2), Field(82, 2, width: 2)],
        .q3_K: [Field(0, 32), Field(32, 64), Field(96, 12), Field(108, 2, width: 2)],
        .q4_K: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 12), Field(16, 128)],
        .q5_K: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 12), Field(16, 32), Field(48, 128)],
        .q6_K: [Field(0, 128), Field(128, 64), Field(192, 16), Field(208, 2, width: 2)],
        .q8_K: [Field(0, 4, width: 4), Field(4, 256), Field(260, 32, width: 2)],
        .iq4_xs: [Field(0, 2, width: 2), Field(2, 2, width: 2), Field(4, 4), Field(8, 128)],
        .tq1_0: [Field(0, 48), Field(48, 4), Field(52, 2, width: 2)],
        .tq2_0: [Field(0, 64), Field(64, 2, width: 2)],
    ]

    /// The streams for `type`; a type without fields is one stream of whole blocks.
    static func streams(for type: GGMLType) -> [StreamSpec] {
        guard let fields = fields[type] else { return [StreamSpec(start: 0, count: type.bytesPerBlock, stride: 1)] }
        return fields.flatMap { field in
            (0..<field.width).map { plane in
                StreamSpec(start: field.offset + plane, count: field.length / field.width, stride: field.width)
            }
        }
    }

    /// Why `streams` is not a partition of a `bytesPerBlock`-byte block (every byte in exactly one stream), or nil.
    static func problem(_ streams: [StreamSpec], bytesPerBlock: Int) -> String? {
        guard bytesPerBlock > 0 else { return "a block of \(bytesPerBlock) bytes" }
        guard !streams.isEmpty else { return "no streams" }
        var covered = [Bool](repeating: false, count: bytesPerBlock)
        for (k, s) in streams.enumerated() {
            guard s.count >= 1, s.stride >= 1, s.start >= 0, s.start < bytesPerBlock else {
                return "stream \(k) (start \(s.start), count \(s.count), stride \(s.stride)) is malformed"
            }
            // start + (count − 1)·stride < bytesPerBlock, computed without overflow.
            guard (bytesPerBlock - 1 - s.start) / s.stride >= s.count - 1 else {
                return "stream \(k) (start \(s.start), count \(s.count), stride \(s.stride)) leaves the \(bytesPerBlock)-byte block"
            }
            for j in 0..<s.count {
                let at = s.start + j * s.stride
                guard !covered[at] else { return "byte \(at) of the block is in two streams" }
                covered[at] = true
            }
        }
        if let gap = covered.firstIndex(of: false) { return "byte \(gap) of the block is in no stream" }
        return nil
    }

    // MARK: - Gather and scatter

    /// Copies `blocks` blocks at `src` into `dst` as the streams one after another (stream k holds
    /// `blocks · streams[k].count` bytes).
    static func gather(_ src: UnsafeRawPointer, blocks: Int, bytesPerBlock: Int, streams: [StreamSpec],
                       into dst: UnsafeMutableRawPointer) {
        var d = dst.assumingMemoryBound(to: UInt8.self)
        let s = src.assumingMemoryBound(to: UInt8.self)
        for spec in streams {
            var from = s + spec.start
            if spec.count == 1 {
                for b in 0..<blocks { d[b] = from[b &* bytesPerBlock] }
                d += blocks
            } else if spec.stride == 1 {
                for _ in 0..<blocks {
                    d.update(from: from, count: spec.count)
                    d += spec.count; from += bytesPerBlock
                }
            } else {
                for _ in 0..<blocks {
                    for j in 0..<spec.count { d[j] = from[j &* spec.stride] }
                    d += spec.count; from += bytesPerBlock
                }
            }
        }
    }

    /// The inverse of `gather`: streams one after another at `src` back into `blocks` blocks at `dst`.
    static func scatter(_ src: UnsafeRawPointer, blocks: Int, bytesPerBlock: Int, streams: [StreamSpec],
                        into dst: UnsafeMutableRawPointer) {
        var s = src.assumingMemoryBound(to: UInt8.self)
        let d = dst.assumingMemoryBound(to: UInt8.self)
        for spec in streams {
            var to = d + spec.start
            if spec.count == 1 {
                for b in 0..<blocks { to[b &* bytesPerBlock] = s[b] }
                s += blocks
            } else if spec.stride == 1 {
                for _ in 0..<blocks {
                    to.update(from: s, count: spec.count)
                    s += spec.count; to += bytesPerBlock
                }
            } else {
                for _ in 0..<blocks {
                    for j in 0..<spec.count { to[j &* spec.stride] = s[j] }
                    s += spec.count; to += bytesPerBlock
                }
            }
        }
    }
}
