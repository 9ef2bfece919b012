import Testing
import PithTensor
@testable import PithPackaging

@Suite struct CodingTensorCoderTests {
    @Test func layoutTablePartitionsEveryBlock() {
        for type in GGMLType.allCases {
            let streams = StreamLayout.streams(for: type)
            #expect(StreamLayout.problem(streams, bytesPerBlock: type.bytesPerBlock) == nil, "\(type.name)")
        }
    }

    @Test func gatherThenScatterIsIdentity() {
        var rng = CodingRandom(seed: 3)
        for type in GGMLType.allCases {
            let bpb = type.bytesPerBlock, blocks = 37
            let src = rng.bytes(bpb * blocks)
            var mid = [UInt8](repeating: 0, count: src.count), back = mid
            let streams = StreamLayout.streams(for: type)
            src.withUnsafeBytes { s in mid.withUnsafeMutableBytes { m in
                StreamLayout.gather(s.baseAddress!, blocks: blocks, bytesPerBlock: bpb, streams: streams, into: m.baseAddress!)
            }}
            mid.withUnsafeBytes { m in back.withUnsafeMutableBytes { b in
                StreamLayout.scatter(m.baseAddress!, blocks: blocks, bytesPerBlock: bpb, streams: streams, into: b.baseAddress!)
            }}
            #expect(back == src, "\(type.name)")
        }
    }

    @Test(arguments: GGMLType.allCases)
    func randomBytesOfEveryTypeRoundTrip(_ type: GGMLType) throws {
        var rng = CodingRandom(seed: UInt64(type.rawValue) + 10)
        let bytes = rng.bytes(type.bytesPerBlock * 301)
        let (coded, decoded) = try CodingFixtures.roundTrip(bytes, type)
        #expect(decoded == bytes)
        // Random bytes do not compress: raw streams, so only the header and length table are added.
        #expect(coded.count <= bytes.count + 32 + 16 * 8)
    }

    // Smallest gain each legacy type must show on Gaussian weights (Q5's low four bits are nearly uniform).
    static let minimumGain: [GGMLType: Double] = [.q4_0: 0.05, .q4_1: 0.05, .q5_0: 0.01, .q5_1: 0.01, .q8_0: 0.05]

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func quantizedGaussianWeightsShrinkAndRoundTrip(_ type: GGMLType) throws {
        var rng = CodingRandom(seed: 4)
        let bytes = try CodingFixtures.quantized(rng.weights(256 * 1024), type)
        let (coded, decoded) = try CodingFixtures.roundTrip(bytes, type)
        #expect(decoded == bytes)
        let gain = 1 - Double(coded.count) / Double(bytes.count)
        #expect(gain > Self.minimumGain[type]!, "\(type.name): \(coded.count) of \(bytes.count)")
    }

    @Test(arguments: [GGMLType.f32, .f16, .bf16])
    func denseWeightsShrinkAndRoundTrip(_ type: GGMLType) throws {
        var rng = CodingRandom(seed: 5)
        let bytes = try CodingFixtures.quantized(rng.weights(300_000), type)
        let (coded, decoded) = try CodingFixtures.roundTrip(bytes, type)
        #expect(decoded == bytes)
        // The sign/exponent planes of small weights compress well; mantissas hardly.
        #expect(coded.count < bytes.count * 90 / 100, "\(type.name): \(coded.count) of \(bytes.count)")
    }

    @Test func emptyTensorRoundTrips() throws {
        for type in [GGMLType.q4_1, .f32] {
            let (coded, decoded) = try CodingFixtures.roundTrip([], type)
            #expect(decoded.isEmpty)
            #expect(coded.count < 100)
        }
    }

    @Test func constantTensorCodesToAlmostNothing() throws {
        let bytes = [UInt8](repeating: 0, count: 34 * 30_000)
        let (coded, decoded) = try CodingFixtures.roundTrip(bytes, .q8_0, .init(chunkBytes: 1 << 20))
        #expect(decoded == bytes)
        #expect(coded.count < 400)
    }

    @Test func allByteValuesInEveryStreamRoundTrip() throws {
        // Each stream of Q8_0 sees all 256 values, uniformly.
        let bytes = (0..<(34 * 4096)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 256) }
        let (_, decoded) = try CodingFixtures.roundTrip(bytes, .q8_0)
        #expect(decoded == bytes)
    }

    @Test func chunkBoundariesAndShortLastChunk() throws {
        var rng = CodingRandom(seed: 6)
        let bytes = try CodingFixtures.quantized(rng.weights(32 * 1001), .q4_1)
        for chunkBytes in [1, 20, 21, 40, 1000, 20 * 1000, 20 * 1001, 1 << 20] {
            for parallel in [false, true] {
                let options = TensorCoder.Options(chunkBytes: chunkBytes, parallel: parallel)
                let (_, decoded) = try CodingFixtures.roundTrip(bytes, .q4_1, options)
                #expect(decoded == bytes, "chunk \(chunkBytes) parallel \(parallel)")
            }
        }
    }

    @Test func largeTensorAcrossManyChunksDecodesIntoCallerBuffer() throws {
        var rng = CodingRandom(seed: 7)
        let bytes = try CodingFixtures.quantized(rng.weights(32 * 200_000), .q8_0)  // 6.8 MB, 26 chunks
        let coded = try bytes.withUnsafeBytes { try TensorCoder.encode($0, type: .q8_0) }
        var out = [UInt8](repeating: 0xAA, count: bytes.count)
        try coded.withUnsafeBytes { c in try out.withUnsafeMutableBytes { try TensorCoder.decode(c, type: .q8_0, into: $0) } }
        #expect(out == bytes)
        let header = try coded.withUnsafeBytes { try TensorCoder.readHeader($0, type: .q8_0, originalSize: bytes.count) }
        #expect(header.chunkCount == (200_000 + header.chunkBlocks - 1) / header.chunkBlocks && header.chunkCount > 20)
        // Random per-row scales leave the low scale byte near uniform (raw); the quants are rANS-coded.
        #expect(header.streams[2].method == .rans)
    }

    @Test func repetitiveStreamChoosesZstd() throws {
        // A repeating 4 KiB pattern: order-0 sees near-uniform bytes, zstd sees repeats.
        var rng = CodingRandom(seed: 8)
        let pattern = rng.bytes(4096)
        let bytes = (0..<(1 << 20)).map { pattern[$0 % 4096] }
        let (coded, decoded) = try CodingFixtures.roundTrip(bytes, .i8)
        #expect(decoded == bytes)
        let header = try coded.withUnsafeBytes { try TensorCoder.readHeader($0, type: .i8, originalSize: bytes.count) }
        #expect(header.streams.map(\.method) == [.zstd])
        // Chunks are independent, so each of the four 256 KiB chunks carries the pattern once.
        #expect(coded.count < 4 * 4096 + 1000)
    }

    @Test func encodeRejectsPartialBlocksAndBadLevels() {
        #expect(throws: CodingError.self) { try CodingFixtures.roundTrip([1, 2, 3], .q4_0) }
        #expect(throws: CodingError.self) { try CodingFixtures.roundTrip([], .q4_0, .init(zstdLevel: 99)) }
    }

    @Test func decodeRejectsWrongTypeOrSize() throws {
        var rng = CodingRandom(seed: 9)
        let bytes = try CodingFixtures.quantized(rng.weights(32 * 64), .q4_0)
        let coded = try bytes.withUnsafeBytes { try TensorCoder.encode($0, type: .q4_0) }
        coded.withUnsafeBytes { c in
            #expect(throws: CodingError.self) { try TensorCoder.decode(c, type: .iq4_nl, originalSize: bytes.count) }
            #expect(throws: CodingError.self) { try TensorCoder.decode(c, type: .q4_0, originalSize: bytes.count + 18) }
            #expect(throws: CodingError.self) { try TensorCoder.decode(c, type: .q4_0, originalSize: -1) }
            #expect(throws: CodingError.self) { try TensorCoder.decode(c, type: .q4_0, originalSize: Int.max) }
        }
    }
}
