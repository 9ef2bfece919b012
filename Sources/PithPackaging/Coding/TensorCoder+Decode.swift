import PithTensor

// MARK: - Decode

extension TensorCoder {
    /// Restores the `originalSize` bytes of a `type` tensor that `encode` coded.
    ///
    /// `coded` is untrusted: every count and length is checked, nothing beyond `originalSize` (plus one chunk of
    /// scratch per core, itself at most `originalSize` and 16 MiB) is allocated, and any inconsistency throws.
    public static func decode(_ coded: UnsafeRawBufferPointer, type: GGMLType, originalSize: Int, parallel: Bool = true) throws -> [UInt8] {
        let header = try readHeader(coded, type: type, originalSize: originalSize)
        return try [UInt8](unsafeUninitializedCapacity: originalSize) { out, count in
            try decode(coded, header: header, into: UnsafeMutableRawBufferPointer(out), parallel: parallel)
            count = originalSize
        }
    }

    /// Restores a `type` tensor into `output`, whose size is the declared original size.
    public static func decode(_ coded: UnsafeRawBufferPointer, type: GGMLType, into output: UnsafeMutableRawBufferPointer,
                              parallel: Bool = true) throws {
        let header = try readHeader(coded, type: type, originalSize: output.count)
        try decode(coded, header: header, into: output, parallel: parallel)
    }

    private static func decode(_ coded: UnsafeRawBufferPointer, header h: Header, into output: UnsafeMutableRawBufferPointer,
                               parallel: Bool) throws {
        let S = h.streams.count
        let decoders = h.streams.map { $0.table.map(RANS.DecoderTable.init) }
        // Chunk c, stream k starts at offsets[c · S + k] in `coded`.
        var offsets = [Int](repeating: 0, count: h.lengths.count)
        var at = h.payloadOffset
        for i in 0..<h.lengths.count { offsets[i] = at; at += h.lengths[i] }
        let prefix = h.streams.reduce(into: [0]) { $0.append($0.last! + $1.spec.count) }
        let specs = h.streams.map(\.spec)

        try CodingParallel.forEach(h.chunkCount, parallel: parallel) { c in
            let b = h.blocks(inChunk: c)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, b * h.bytesPerBlock), alignment: 16)
            defer { scratch.deallocate() }
            for k in 0..<S {
                let symbols = b * specs[k].count
                let dst = scratch + b * prefix[k]
                let i = c * S + k
                let src = UnsafeRawBufferPointer(rebasing: coded[offsets[i]..<(offsets[i] + h.lengths[i])])
                let label = "chunk \(c) stream \(k)"
                switch h.streams[k].method {
                case .raw:
                    guard src.count == symbols else {
                        throw CodingError(.corrupt, "tensor coding: raw \(label) has \(src.count) bytes; its blocks hold \(symbols)")
                    }
                    if symbols > 0 { dst.copyMemory(from: src.baseAddress!, byteCount: symbols) }
                case .rans:
                    try RANS.decode(src, count: symbols, into: dst.assumingMemoryBound(to: UInt8.self), with: decoders[k]!, label: label)
                case .zstd:
                    try Zstd.decompress(src, into: UnsafeMutableRawBufferPointer(start: dst, count: symbols), label: label)
                }
            }
            StreamLayout.scatter(scratch, blocks: b, bytesPerBlock: h.bytesPerBlock, streams: specs,
                                 into: output.baseAddress! + c * h.chunkBlocks * h.bytesPerBlock)
        }
    }
}
