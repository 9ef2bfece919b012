import PithTensor

// MARK: - Header

extension TensorCoder {
    /// How one stream is stored in every chunk.
    enum Method: UInt8, Sendable {
        case raw = 0
        case rans = 1
        case zstd = 2
    }

    /// One stream as the header describes it.
    struct StreamHeader: Sendable {
        let spec: StreamSpec
        let method: Method
        /// Present exactly when `method` is `.rans`.
        let table: FrequencyTable?
    }

    /// A parsed, validated header. `lengths` borrows the coded bytes; `payload` is where chunk 0 starts.
    struct Header {
        let type: GGMLType
        let bytesPerBlock: Int
        let originalSize: Int
        let chunkBlocks: Int
        let chunkCount: Int
        let streams: [StreamHeader]
        /// Coded bytes of (chunk c, stream k) at index c · streams.count + k.
        let lengths: [Int]
        let payloadOffset: Int

        var totalBlocks: Int { originalSize / bytesPerBlock }

        /// Blocks in chunk `c` (the last may be short).
        func blocks(inChunk c: Int) -> Int { min(chunkBlocks, totalBlocks - c * chunkBlocks) }
    }

    static let magic: [UInt8] = Array("PTCD".utf8)
    static let fixedHeaderSize = 32
    static let maxStreams = 64
    /// The largest chunk a decoder accepts: it bounds each worker's scratch memory.
    static let maxChunkBytes = 16 << 20

    static func writeHeader(to w: inout CodingWriter, type: GGMLType, originalSize: Int, chunkBlocks: Int,
                            chunkCount: Int, streams: [StreamHeader]) {
        w.append(magic)
        w.u8(formatVersion)
        w.u8(UInt8(streams.count))
        w.u16(0)
        w.u32(type.rawValue)
        w.u32(UInt32(type.bytesPerBlock))
        w.u64(UInt64(originalSize))
        w.u32(UInt32(chunkBlocks))
        w.u32(UInt32(chunkCount))
        for s in streams {
            w.u16(UInt16(s.spec.start))
            w.u16(UInt16(s.spec.count))
            w.u16(UInt16(s.spec.stride))
            w.u8(s.method.rawValue)
            s.table?.write(to: &w)
        }
    }

    /// Parses and checks everything before the payload against the caller's `type` and `originalSize`:
    /// magic, version, sizes, the stream partition, every frequency table, and chunk lengths that exactly
    /// fill the rest of `coded`.
    static func readHeader(_ coded: UnsafeRawBufferPointer, type: GGMLType, originalSize: Int) throws -> Header {
        var r = CodingReader(coded)
        let m = try r.bytes(4, "magic")
        guard m.elementsEqual(magic) else {
            throw CodingError(.corrupt, "tensor coding: magic \(Array(m)) is not \"PTCD\"")
        }
        let version = try r.u8("version")
        guard version == formatVersion else {
            throw CodingError(.unsupported, "tensor coding: version \(version); this build reads version \(formatVersion)")
        }
        let streamCount = Int(try r.u8("stream count"))
        guard try r.u16("reserved field") == 0 else {
            throw CodingError(.unsupported, "tensor coding: reserved header bytes are not zero")
        }
        let rawType = try r.u32("tensor type")
        guard rawType == type.rawValue else {
            throw CodingError(.mismatch, "tensor coding: coded type \(GGMLType(rawValue: rawType)?.name ?? "\(rawType)"); expected \(type.name)")
        }
        let bytesPerBlock = Int(try r.u32("bytes per block"))
        guard bytesPerBlock == type.bytesPerBlock else {
            throw CodingError(.mismatch, "tensor coding: \(bytesPerBlock) bytes per block; \(type.name) has \(type.bytesPerBlock)")
        }
        let size = try r.u64("original size")
        guard originalSize >= 0, size == UInt64(originalSize) else {
            throw CodingError(.mismatch, "tensor coding: original size \(size); the caller declared \(originalSize)")
        }
        guard originalSize % bytesPerBlock == 0 else {
            throw CodingError(.mismatch, "tensor coding: \(originalSize) bytes are not whole \(type.name) blocks of \(bytesPerBlock)")
        }
        let chunkBlocks = Int(try r.u32("blocks per chunk"))
        guard chunkBlocks >= 1, chunkBlocks <= maxChunkBytes / bytesPerBlock else {
            throw CodingError(.corrupt, "tensor coding: \(chunkBlocks) blocks per chunk (1...\(maxChunkBytes / bytesPerBlock) allowed)")
        }
        let chunkCount = Int(try r.u32("chunk count"))
        let totalBlocks = originalSize / bytesPerBlock
        let expectedChunks = totalBlocks / chunkBlocks + (totalBlocks % chunkBlocks == 0 ? 0 : 1)
        guard chunkCount == expectedChunks else {
            throw CodingError(.corrupt, "tensor coding: \(chunkCount) chunks; \(totalBlocks) blocks in chunks of \(chunkBlocks) make \(expectedChunks)")
        }
        guard (1...maxStreams).contains(streamCount) else {
            throw CodingError(.corrupt, "tensor coding: \(streamCount) streams (1...\(maxStreams) allowed)")
        }

        var streams: [StreamHeader] = []
        for k in 0..<streamCount {
            let spec = StreamSpec(start: Int(try r.u16("start of stream \(k)")),
                                  count: Int(try r.u16("count of stream \(k)")),
                                  stride: Int(try r.u16("stride of stream \(k)")))
            let rawMethod = try r.u8("method of stream \(k)")
            guard let method = Method(rawValue: rawMethod) else {
                throw CodingError(.unsupported, "tensor coding: stream \(k) has unknown method \(rawMethod)")
            }
            let table = method == .rans ? try FrequencyTable.read(from: &r, stream: k) : nil
            streams.append(StreamHeader(spec: spec, method: method, table: table))
        }
        if let problem = StreamLayout.problem(streams.map(\.spec), bytesPerBlock: bytesPerBlock) {
            throw CodingError(.corrupt, "tensor coding: streams do not partition the block: \(problem)")
        }

        // The length table must be present before anything is allocated for it.
        let entries = chunkCount * streamCount  // ≤ 2^32 · 64: no overflow
        let table = try r.bytes(entries * 4, "chunk length table (\(entries) entries)")
        var lengths = [Int](repeating: 0, count: entries)
        var total = 0
        for i in 0..<entries {
            let n = Int(UInt32(littleEndian: table.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            lengths[i] = n
            let (sum, overflow) = total.addingReportingOverflow(n)
            guard !overflow, sum <= r.remaining else {
                throw CodingError(.truncated, "tensor coding: chunk lengths run past the \(r.remaining) payload bytes at entry \(i)")
            }
            total = sum
        }
        guard total == r.remaining else {
            throw CodingError(total > r.remaining ? .truncated : .corrupt,
                              "tensor coding: chunks announce \(total) payload bytes; \(r.remaining) follow the header")
        }
        return Header(type: type, bytesPerBlock: bytesPerBlock, originalSize: originalSize, chunkBlocks: chunkBlocks,
                      chunkCount: chunkCount, streams: streams, lengths: lengths, payloadOffset: r.offset)
    }
}
