import PithTensor

/// Lossless compact coding of one tensor's bytes (GB/T 42382.2 §8 compact data), in the spirit of NNR's
/// DeepCABAC but simpler: blocks are split into homogeneous byte streams (scale bytes, quant bytes, exponent
/// bytes …), and each stream is stored raw, rANS-coded with an order-0 model, or zstd-compressed, whichever is
/// smallest for the tensor.
///
/// The tensor is coded in independent chunks of whole blocks (256 KiB by default) that share the header's models,
/// so chunks code and decode in parallel and any chunk decodes alone. Layout, byte by byte: docs/FORMAT-CODING.md.
///
///     header   "PTCD", version 1, stream count, type, bytes per block, original size, blocks per chunk, chunks
///     streams  per stream: start, count, stride within the block; method; frequency table when rANS
///     lengths  coded bytes of every (chunk, stream), u32
///     payload  chunk 0 stream 0, chunk 0 stream 1, …, chunk 1 stream 0, …
///
/// Order-0 is what pays on SmolLM2-135M Q4_1 (empirical entropies, tables not counted): conditioning each
/// nibble on the previous one saves 0.2 % of the quants, on its position in the block nothing; conditioning
/// scale bytes on the previous block's saves 5 % of the scales (0.6 % of the tensor) before paying for
/// 256×256 tables. The one context that would pay, a Q4_1 block's zero point −m/d for its nibbles (1.7 % of
/// the quants, 1.5 % of the tensor), would tie the format to each type's scale semantics; not done.
public enum TensorCoder {
    /// The format version `encode` writes and `decode` reads.
    public static let formatVersion: UInt8 = 1

    /// Encoder settings; none of them is needed to decode.
    public struct Options: Sendable {
        /// Target bytes per chunk, rounded down to whole blocks (at least one block, at most 16 MiB).
        ///
        /// 256 KiB splits SmolLM2's 553 KB FFN tensors over both cores (whole model decode 600 → 780 MB/s on 2
        /// shared cores) for 0.02 % more bytes (states and lengths per chunk) than 1 MiB.
        public var chunkBytes: Int = 256 << 10
        /// Whether a stream may be stored as zstd when a sample suggests it beats rANS (repetitive data).
        public var tryZstd: Bool = true
        /// The zstd level for trial and storage.
        public var zstdLevel: Int = 3
        /// Whether chunks are coded on all cores.
        public var parallel: Bool = true

        public init(chunkBytes: Int = 256 << 10, tryZstd: Bool = true, zstdLevel: Int = 3, parallel: Bool = true) {
            self.chunkBytes = chunkBytes
            self.tryZstd = tryZstd
            self.zstdLevel = zstdLevel
            self.parallel = parallel
        }
    }

    /// Bytes of a stream's first chunk that the zstd trial compresses.
    static let zstdSampleBytes = 64 << 10
    /// zstd must beat rANS on the sample by this factor before the whole stream is tried with it.
    static let zstdTrialMargin = 0.97

    // MARK: - Encode

    /// Codes `bytes`, whole blocks of `type`, into a self-describing stream that `decode` restores bit-exactly.
    public static func encode(_ bytes: UnsafeRawBufferPointer, type: GGMLType, options: Options = Options()) throws -> [UInt8] {
        let bpb = type.bytesPerBlock
        guard bytes.count % bpb == 0 else {
            throw CodingError(.invalidInput, "tensor coding: \(bytes.count) bytes are not whole \(type.name) blocks of \(bpb)")
        }
        guard Zstd.levels.contains(options.zstdLevel) else {
            throw CodingError(.invalidInput, "tensor coding: zstd level \(options.zstdLevel) is outside \(Zstd.levels)")
        }
        let specs = StreamLayout.streams(for: type)
        let totalBlocks = bytes.count / bpb
        let chunkBlocks = max(1, min(options.chunkBytes, maxChunkBytes) / bpb)
        let chunkCount = (totalBlocks + chunkBlocks - 1) / chunkBlocks
        guard chunkCount <= Int(UInt32.max) else {
            throw CodingError(.invalidInput, "tensor coding: \(chunkCount) chunks exceed the format's 2^32 − 1")
        }
        let S = specs.count
        func blocks(_ c: Int) -> Int { min(chunkBlocks, totalBlocks - c * chunkBlocks) }
        // Where stream k starts inside a gathered chunk of b blocks: b · (count of streams before k).
        let prefix = specs.reduce(into: [0]) { $0.append($0.last! + $1.count) }

        // Pass 1: gather every chunk into streams and count symbols.
        var gathered = [[UInt8]](repeating: [], count: chunkCount)
        var counts = [[UInt64]](repeating: [], count: chunkCount * S)
        try gathered.withUnsafeMutableBufferPointer { gathered in
        try counts.withUnsafeMutableBufferPointer { counts in
            try CodingParallel.forEach(chunkCount, parallel: options.parallel) { c in
                let b = blocks(c)
                let chunk = [UInt8](unsafeUninitializedCapacity: b * bpb) { buf, n in
                    StreamLayout.gather(bytes.baseAddress! + c * chunkBlocks * bpb, blocks: b, bytesPerBlock: bpb,
                                        streams: specs, into: buf.baseAddress!)
                    n = b * bpb
                }
                chunk.withUnsafeBytes { chunk in
                    for k in 0..<S {
                        var h = [UInt64](repeating: 0, count: 256)
                        Histogram.add(UnsafeRawBufferPointer(rebasing: chunk[b * prefix[k]..<b * prefix[k + 1]]), to: &h)
                        counts[c * S + k] = h
                    }
                }
                gathered[c] = chunk
            }
        }}

        // Models: the best order-0 table per stream, and whether zstd is worth a full trial.
        var tables: [FrequencyTable?] = []
        var tryZstd: [Bool] = []
        for k in 0..<S {
            var h = [UInt64](repeating: 0, count: 256)
            for c in 0..<chunkCount { for s in 0..<256 { h[s] += counts[c * S + k][s] } }
            let table = FrequencyTable.best(for: h)
            let symbols = totalBlocks * specs[k].count
            let estimate = table.map { $0.codedBits(h) / 8 + Double($0.serializedSize + chunkCount * (RANS.stateBytes + 2)) }
            tables.append(estimate.map { $0 < Double(symbols) } == true ? table : nil)
            tryZstd.append(options.tryZstd && chunkCount > 0
                && zstdLooksBetter(gathered[0], stream: k, blocks: blocks(0), prefix: prefix, table: table, level: options.zstdLevel))
        }
        let encoders = tables.map { $0.map(RANS.EncoderTable.init) }

        // Pass 2: code every chunk's streams by each candidate method.
        var ransOut = [[UInt8]?](repeating: nil, count: chunkCount * S)
        var zstdOut = [[UInt8]?](repeating: nil, count: chunkCount * S)
        try ransOut.withUnsafeMutableBufferPointer { ransOut in
        try zstdOut.withUnsafeMutableBufferPointer { zstdOut in
            try CodingParallel.forEach(chunkCount, parallel: options.parallel) { c in
                let b = blocks(c)
                try gathered[c].withUnsafeBytes { chunk in
                    for k in 0..<S {
                        let stream = UnsafeRawBufferPointer(rebasing: chunk[b * prefix[k]..<b * prefix[k + 1]])
                        if let e = encoders[k] { ransOut[c * S + k] = RANS.encode(stream, with: e) }
                        if tryZstd[k] { zstdOut[c * S + k] = try Zstd.compress(stream, level: options.zstdLevel, workers: 0) }
                    }
                }
            }
        }}

        // Choose per stream the smallest of raw, rANS (payload + table) and zstd; ties keep the faster one.
        var headers: [StreamHeader] = []
        for k in 0..<S {
            let raw = totalBlocks * specs[k].count
            var best = (method: Method.raw, size: raw)
            if let t = tables[k] {
                let size = (0..<chunkCount).reduce(t.serializedSize) { $0 + ransOut[$1 * S + k]!.count }
                if size < best.size { best = (.rans, size) }
            }
            if tryZstd[k] {
                let size = (0..<chunkCount).reduce(0) { $0 + zstdOut[$1 * S + k]!.count }
                if size < best.size { best = (.zstd, size) }
            }
            headers.append(StreamHeader(spec: specs[k], method: best.method, table: best.method == .rans ? tables[k] : nil))
        }

        // Assemble: header, length table, payload.
        var w = CodingWriter()
        writeHeader(to: &w, type: type, originalSize: bytes.count, chunkBlocks: chunkBlocks, chunkCount: chunkCount, streams: headers)
        var sizes: [Int] = []
        for c in 0..<chunkCount {
            for k in 0..<S {
                let n: Int
                switch headers[k].method {
                case .raw: n = blocks(c) * specs[k].count
                case .rans: n = ransOut[c * S + k]!.count
                case .zstd: n = zstdOut[c * S + k]!.count
                }
                sizes.append(n)
                w.u32(UInt32(n))
            }
        }
        w.bytes.reserveCapacity(w.bytes.count + sizes.reduce(0, +))
        for c in 0..<chunkCount {
            let b = blocks(c)
            for k in 0..<S {
                switch headers[k].method {
                case .raw: gathered[c][b * prefix[k]..<b * prefix[k + 1]].withUnsafeBytes { w.append($0) }
                case .rans: w.append(ransOut[c * S + k]!)
                case .zstd: w.append(zstdOut[c * S + k]!)
                }
            }
        }
        return w.bytes
    }

    /// Whether zstd compresses the first `zstdSampleBytes` of stream `k` of a gathered chunk clearly better
    /// than rANS with `table` (or than raw, without a table) would.
    private static func zstdLooksBetter(_ chunk: [UInt8], stream k: Int, blocks b: Int, prefix: [Int],
                                        table: FrequencyTable?, level: Int) -> Bool {
        let lower = b * prefix[k], upper = min(b * prefix[k + 1], lower + zstdSampleBytes)
        return chunk.withUnsafeBytes { chunk in
            let sample = UnsafeRawBufferPointer(rebasing: chunk[lower..<upper])
            var h = [UInt64](repeating: 0, count: 256)
            Histogram.add(sample, to: &h)
            var rival = Double(sample.count)
            if let t = table { rival = min(rival, t.codedBits(h) / 8 + Double(RANS.stateBytes)) }
            guard let z = try? Zstd.compress(sample, level: level, workers: 0) else { return false }
            return Double(z.count) < zstdTrialMargin * rival
        }
    }
}
