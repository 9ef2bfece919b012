import Testing
import PithTensor
@testable import PithPackaging

/// Untrusted coded bytes: every fault must throw a `CodingError`, never trap, hang or over-allocate.
@Suite struct CodingMalformedTests {
    /// A small Q4_1 tensor in four chunks whose quants are skewed enough (one outlier per block squeezes the
    /// rest into the lowest levels) that rANS pays even at this size.
    static let original: [UInt8] = {
        var rng = CodingRandom(seed: 21)
        let weights = (0..<(32 * 200)).map { i in i % 32 == 0 ? 1 : rng.gaussian() * 0.01 }
        return try! CodingFixtures.quantized(weights, .q4_1)
    }()
    static let coded: [UInt8] = Self.original.withUnsafeBytes {
        try! TensorCoder.encode($0, type: .q4_1, options: .init(chunkBytes: 20 * 50))
    }

    private func decode(_ bytes: [UInt8], type: GGMLType = .q4_1, size: Int = original.count) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try TensorCoder.decode($0, type: type, originalSize: size) }
    }

    @Test func fixtureUsesRANSAndSeveralChunks() throws {
        let h = try Self.coded.withUnsafeBytes { try TensorCoder.readHeader($0, type: .q4_1, originalSize: Self.original.count) }
        #expect(h.chunkCount == 4)
        #expect(h.streams.contains { $0.method == .rans })
        #expect(try decode(Self.coded) == Self.original)
    }

    @Test func truncationAtEveryOffsetThrows() {
        for cut in 0..<Self.coded.count {
            #expect(throws: CodingError.self, "cut at \(cut)") { try decode(Array(Self.coded[..<cut])) }
        }
        #expect(throws: CodingError.self) { try decode(Self.coded + [0]) }
    }

    @Test func everySingleBitFlipThrowsOrKeepsTheSize() {
        // Raw streams carry no check of their own (the container's section hash covers them), so a flip there
        // may decode to other bytes; in a coded stream or the header it must be caught.
        var caught = 0
        for bit in 0..<(Self.coded.count * 8) {
            var bad = Self.coded
            bad[bit / 8] ^= 1 << UInt8(bit % 8)
            do {
                let out = try decode(bad)
                #expect(out.count == Self.original.count)
            } catch is CodingError {
                caught += 1
            } catch {
                Issue.record("bit \(bit): \(error) is not a CodingError")
            }
        }
        let rawBytes = rawPayloadBytes()
        #expect(caught >= (Self.coded.count - rawBytes) * 8 * 90 / 100, "\(caught) of \(Self.coded.count * 8) flips caught")
    }

    private func rawPayloadBytes() -> Int {
        let h = try! Self.coded.withUnsafeBytes { try TensorCoder.readHeader($0, type: .q4_1, originalSize: Self.original.count) }
        let S = h.streams.count
        return (0..<h.lengths.count).filter { h.streams[$0 % S].method == .raw }.map { h.lengths[$0] }.reduce(0, +)
    }

    @Test func randomMultiByteDamageThrowsOrKeepsTheSize() {
        var rng = CodingRandom(seed: 22)
        for _ in 0..<2000 {
            var bad = Self.coded
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                bad[Int.random(in: 0..<bad.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let out = try? decode(bad) { #expect(out.count == Self.original.count) }
        }
    }

    // MARK: - Lying headers, built field by field

    /// A coded stream for `blocks` Q8_0 blocks with one raw quant stream and one stream per scale byte.
    private struct Forge {
        var magic: [UInt8] = Array("PTCD".utf8)
        var version: UInt8 = 1
        var reserved: UInt16 = 0
        var type: UInt32 = GGMLType.q8_0.rawValue
        var bytesPerBlock: UInt32 = 34
        var originalSize: UInt64 = 34 * 4
        var chunkBlocks: UInt32 = 4
        var chunkCount: UInt32 = 1
        var streams: [(start: UInt16, count: UInt16, stride: UInt16, method: UInt8, table: [UInt8])] = [
            (0, 1, 1, 0, []), (1, 1, 1, 0, []), (2, 32, 1, 0, []),
        ]
        var lengths: [UInt32] = [4, 4, 128]
        var payload = [UInt8](repeating: 7, count: 136)

        var bytes: [UInt8] {
            var w = CodingWriter()
            w.append(magic)
            w.u8(version)
            w.u8(UInt8(truncatingIfNeeded: streams.count))
            w.u16(reserved)
            w.u32(type)
            w.u32(bytesPerBlock)
            w.u64(originalSize)
            w.u32(chunkBlocks)
            w.u32(chunkCount)
            for s in streams {
                w.u16(s.start); w.u16(s.count); w.u16(s.stride); w.u8(s.method); w.append(s.table)
            }
            for n in lengths { w.u32(n) }
            w.append(payload)
            return w.bytes
        }

        func decode() throws -> [UInt8] {
            try bytes.withUnsafeBytes { try TensorCoder.decode($0, type: .q8_0, originalSize: Int(34 * 4)) }
        }
    }

    /// A serialised rANS table: scale bits, first and last symbol, then LEB128 frequency bytes as given.
    private static func table(_ bits: UInt8, _ first: UInt8, _ last: UInt8, _ freqs: [UInt8]) -> [UInt8] {
        [bits, first, last] + freqs
    }

    @Test func forgedBaselineDecodes() throws {
        #expect(try Forge().decode() == [UInt8](repeating: 7, count: 136))
    }

    @Test func lyingHeadersThrow() {
        var cases: [(String, (inout Forge) -> Void)] = [
            ("bad magic", { $0.magic = Array("PTCX".utf8) }),
            ("future version", { $0.version = 2 }),
            ("reserved bits", { $0.reserved = 1 }),
            ("other type", { $0.type = GGMLType.q4_0.rawValue }),
            ("unknown type", { $0.type = 999 }),
            ("bytes per block", { $0.bytesPerBlock = 33 }),
            ("original size", { $0.originalSize = 34 * 5 }),
            ("huge original size", { $0.originalSize = UInt64.max }),
            ("zero blocks per chunk", { $0.chunkBlocks = 0 }),
            ("huge blocks per chunk", { $0.chunkBlocks = .max }),
            ("huge chunk count", { $0.chunkCount = .max }),
            ("zero chunk count", { $0.chunkCount = 0 }),
            ("no streams", { $0.streams = []; $0.lengths = [] }),
            ("65 streams", { $0.streams = Array(repeating: (0, 1, 1, 0, []), count: 65) }),
            ("overlapping streams", { $0.streams[1].start = 0 }),
            ("gap in streams", { $0.streams[2].count = 31; $0.lengths[2] = 124; $0.payload.removeLast(4) }),
            ("stream past the block", { $0.streams[2].count = 40 }),
            ("zero stride", { $0.streams[2].stride = 0 }),
            ("huge stride", { $0.streams[2].stride = .max }),
            ("zero count", { $0.streams[0].count = 0 }),
            ("unknown method", { $0.streams[2].method = 9 }),
            ("length past the end", { $0.lengths[2] = 1 << 30 }),
            ("lengths short of the end", { $0.lengths[2] = 100 }),
            ("raw length disagrees", { $0.lengths[1] = 5; $0.lengths[2] = 127 }),
            ("length table cut", { $0.lengths = [4]; $0.payload = [] }),
            ("zstd garbage", { $0.streams[2].method = 2 }),
            // rANS tables.
            ("zero-frequency table", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 0, 1, [0, 0]) }),
            ("sum below scale", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 0, 1, [100, 100]) }),
            ("sum above scale", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 0, 1, [0x80, 0x01, 0x81, 0x01]) }),
            ("frequency above scale", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x81, 0x02]) }),
            ("13-bit scale", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(13, 7, 7, [0x80, 0x80, 0x02]) }),
            ("0-bit scale", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(0, 7, 7, [1]) }),
            ("first after last", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 9, 7, [0x80, 0x02]) }),
            ("overlong LEB128", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x80, 0x80, 0x80, 0x80, 0x02]) }),
            ("table runs into the next fields", { $0.streams[0].method = 1; $0.streams[0].table = [8, 0] ; $0.lengths = []; $0.payload = [] }),
            ("rANS too short for states", { $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02]) }),
            ("rANS state below L", {
                $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02])
                $0.lengths[0] = 16; $0.payload = [UInt8](repeating: 0, count: 16) + $0.payload.dropFirst(4)
            }),
            ("rANS odd word bytes", {
                $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02])
                $0.lengths[0] = 17; $0.payload = [UInt8](repeating: 0xFF, count: 17) + $0.payload.dropFirst(4)
            }),
            ("rANS wrong final states", {
                // One symbol of probability 1 never changes a state: states other than L are caught at the end.
                $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02])
                $0.lengths[0] = 16; $0.payload = [UInt8](repeating: 0x01, count: 16) + $0.payload.dropFirst(4)
            }),
            ("rANS words left over", {
                $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02])
                let states = [UInt8]([0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0])
                $0.lengths[0] = 18; $0.payload = states + [1, 2] + $0.payload.dropFirst(4)
            }),
            ("rANS more words than symbols", {
                $0.streams[0].method = 1; $0.streams[0].table = Self.table(8, 7, 7, [0x80, 0x02])
                $0.lengths[0] = 26; $0.payload = [UInt8](repeating: 0, count: 26) + $0.payload.dropFirst(4)
            }),
        ]
        cases.append(("trailing byte", { $0.payload.append(0) }))
        for (name, mutate) in cases {
            var f = Forge()
            mutate(&f)
            #expect(throws: CodingError.self, "\(name)") { _ = try f.decode() }
        }
    }

    @Test func rANSStreamThatRunsOutOfWordsThrows() throws {
        // Code a skewed stream for real, then drop its last word while keeping the lengths consistent.
        var rng = CodingRandom(seed: 23)
        let quants = (0..<(32 * 4)).map { _ in UInt8(Int.random(in: 0...3, using: &rng)) }
        var counts = [UInt64](repeating: 0, count: 256)
        quants.withUnsafeBytes { Histogram.add($0, to: &counts) }
        let t = try #require(FrequencyTable.normalized(counts, scaleBits: 8))
        let coded = quants.withUnsafeBytes { RANS.encode($0, with: RANS.EncoderTable(t)) }
        var w = CodingWriter()
        t.write(to: &w)
        var f = Forge()
        f.streams[2].method = 1
        f.streams[2].table = w.bytes
        f.lengths[2] = UInt32(coded.count)
        f.payload = [UInt8](repeating: 7, count: 8) + coded
        let good = try f.decode()
        #expect(good.count == 136)
        f.lengths[2] -= 2
        f.payload.removeLast(2)
        #expect(throws: CodingError.self) { _ = try f.decode() }
    }
}
