import Testing
@testable import PithTensor

/// Blocks built byte by byte; expected floats worked out by hand for the simple cases and, for the rest, read once
/// from gguf-py's independent numpy implementation (`gguf.quants.dequantize`) on the very same bytes.
@Suite struct QuantDequantizeTests {
    private func decode(_ type: GGMLType, _ bytes: [UInt8], count: Int? = nil) throws -> [Float] {
        try bytes.withUnsafeBytes { try type.dequantize($0, count: count ?? type.blockSize * (bytes.count / type.bytesPerBlock)) }
    }

    /// A block filled with the pattern (37·i + 11) mod 256, its f16 fields overwritten.
    private func patterned(_ type: GGMLType, halves: [Int: UInt16]) -> [UInt8] {
        var b = (0..<type.bytesPerBlock).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for (offset, bits) in halves {
            b[offset] = UInt8(bits & 0xff)
            b[offset + 1] = UInt8(bits >> 8)
        }
        return b
    }

    @Test func handWorkedLegacyBlocks() throws {
        // Q4_0, d = 0.5: byte 0x9F → element 0 = (15 − 8)·0.5, element 16 = (9 − 8)·0.5.
        var q4 = [UInt8](repeating: 0x88, count: 18)
        q4[0] = 0x00; q4[1] = 0x38; q4[2] = 0x9f
        let y4 = try decode(.q4_0, q4)
        #expect(y4[0] == 3.5 && y4[16] == 0.5 && y4[1] == 0 && y4[31] == 0)

        // Q4_1, d = 0.25, m = −2: nibble 12 → 1.0.
        var q41 = [UInt8](repeating: 0, count: 20)
        q41[0] = 0x00; q41[1] = 0x34; q41[2] = 0x00; q41[3] = 0xc0; q41[4] = 0xc0
        let y41 = try decode(.q4_1, q41)
        #expect(y41[0] == -2 && y41[16] == 1 && y41[31] == -2)

        // Q5_0, d = 1: element 0 gets its 5th bit from qh bit 0, element 16 from bit 16.
        var q50 = [UInt8](repeating: 0, count: 22)
        q50[0] = 0x00; q50[1] = 0x3c; q50[2] = 0x01; q50[4] = 0x01; q50[6] = 0x3f
        let y50 = try decode(.q5_0, q50)
        #expect(y50[0] == Float(31 - 16) && y50[16] == Float(19 - 16) && y50[1] == -16)

        // Q5_1, d = 1, m = 0.5: element 31 = (0x10 | 0xf) + 0.5 via qh bit 31.
        var q51 = [UInt8](repeating: 0, count: 24)
        q51[0] = 0x00; q51[1] = 0x3c; q51[2] = 0x00; q51[3] = 0x38; q51[7] = 0x80; q51[23] = 0xf0
        let y51 = try decode(.q5_1, q51)
        #expect(y51[31] == 31.5 && y51[15] == 0.5)

        // Q8_0, d = 0.5: signed bytes.
        var q8 = [UInt8](repeating: 0, count: 34)
        q8[0] = 0x00; q8[1] = 0x38; q8[2] = 0x7f; q8[3] = 0x80; q8[33] = 0xff
        let y8 = try decode(.q8_0, q8)
        #expect(y8[0] == 63.5 && y8[1] == -64 && y8[31] == -0.5)
    }

    @Test func handWorkedKQuantBlocks() throws {
        // Q4_K, d = dmin = 1: sub-block 0 has scale 2 and min 1 (bytes 4 and 8 of the block); qs byte 0x35 gives
        // element 0 = 2·5 − 1 and element 32 (sub-block 1, scale 0, min 0) = 0.
        var q4 = [UInt8](repeating: 0, count: 144)
        q4[1] = 0x3c; q4[3] = 0x3c; q4[4] = 2; q4[8] = 1; q4[16] = 0x35
        let y4 = try decode(.q4_K, q4)
        #expect(y4[0] == 9 && y4[1] == -1 && y4[32] == 0)

        // Q6_K, d = 1, scale 0 = 3: low nibble 10 with high bits 2 → q = 42 − 32 = 10, so element 0 = 3·10;
        // element 1 has q = 0 − 32 → −96.
        var q6 = [UInt8](repeating: 0, count: 210)
        q6[208] = 0x00; q6[209] = 0x3c; q6[192] = 3; q6[0] = 0x0a; q6[128] = 0x02
        let y6 = try decode(.q6_K, q6)
        #expect(y6[0] == 30 && y6[1] == -96)
    }

    // Offsets of each type's f16 fields, and the values they are set to, in the patterned blocks.
    static let patternHalves: [GGMLType: [Int: UInt16]] = [
        .q4_0: [0: 0x3800], .q4_1: [0: 0x3400, 2: 0xc000], .q5_0: [0: 0x3800], .q5_1: [0: 0x3400, 2: 0xc000],
        .q8_0: [0: 0x3000], .q2_K: [80: 0x3800, 82: 0x3400], .q3_K: [108: 0x3800],
        .q4_K: [0: 0x3800, 2: 0x3400], .q5_K: [0: 0x3800, 2: 0x3400], .q6_K: [208: 0x2c00],
    ]

    // gguf-py's values at chosen indices of each patterned block, and the sum of the whole block.
    static let patternExpected: [GGMLType: (values: [Int: Float], sum: Double)] = [
        .q4_0: ([0: -1.5, 1: 1.0, 5: 3.0, 15: -4.0, 16: -1.5, 17: -0.5, 30: -1.5, 31: 0.0], -10.5),
        .q4_1: ([0: 1.75, 1: -1.0, 5: 0.0, 15: 0.5, 16: 0.25, 17: 1.0, 30: 0.5, 31: 1.0], -2.75),
        .q5_0: ([0: 4.5, 1: -1.0, 5: -7.0, 15: -6.0, 16: 7.0, 17: 0.0, 30: 7.0, 31: 0.5], 7.5),
        .q5_1: ([0: 2.75, 1: 4.0, 5: 1.0, 15: 5.5, 16: 2.75, 17: -0.75, 30: -1.25, 31: -0.75], 62.25),
        .q8_0: ([0: 10.625, 1: 15.25, 5: 1.75, 15: -16.0, 16: -11.375, 17: -6.75, 30: -10.625, 31: -6.0], -22.0),
        .q2_K: ([0: 16.5, 1: 0.0, 15: 11.0, 16: -0.75, 31: -0.75, 32: 3.75, 63: 3.25, 64: 5.25, 100: 10.0, 127: 21.0,
                 128: 3.75, 150: 2.75, 191: -1.5, 200: 4.0, 240: 2.25, 255: 2.25], 1029.5),
        .q3_K: ([0: 40.5, 1: -54.0, 15: -27.0, 16: -48.0, 31: 32.0, 32: -11.0, 63: 5.0, 64: 17.0, 100: 0.0, 127: 36.0,
                 128: 1.0, 150: 8.5, 191: 40.5, 200: 12.5, 240: -14.0, 255: 21.0], 479.0),
        .q4_K: ([0: 157.75, 1: -12.75, 15: 80.25, 16: 157.75, 31: 80.25, 32: 4.0, 63: 20.0, 64: 210.25, 100: 47.5,
                 127: 40.5, 128: 211.5, 150: 172.5, 191: 22.5, 200: 69.25, 240: 15.25, 255: 24.25], 27220.0),
        .q5_K: ([0: 405.75, 1: -12.75, 15: 80.25, 16: 405.75, 31: 80.25, 32: 56.0, 63: 40.0, 64: 210.25, 100: 117.5,
                 127: -1.5, 128: 523.5, 150: 172.5, 191: 322.5, 200: 69.25, 240: 45.25, 255: 54.25], 58108.0),
        .q6_K: ([0: -89.4375, 1: 106.0, 15: -19.875, 16: -27.0, 31: -6.0, 32: 14.4375, 63: -36.25, 64: -190.0,
                 100: 157.6875, 127: 93.75, 128: -21.9375, 150: -10.5, 191: -61.25, 200: 68.0625, 240: 8.125, 255: -3.75],
                288.25),
    ]

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    func patternedBlockMatchesReference(_ type: GGMLType) throws {
        let halves = try #require(Self.patternHalves[type])
        let expected = try #require(Self.patternExpected[type])
        let block = patterned(type, halves: halves)
        // Two copies: the second block must decode the same, catching a wrong block stride.
        let y = try decode(type, block + block)
        #expect(y.count == 2 * type.blockSize)
        for (i, v) in expected.values {
            #expect(y[i] == v, "\(type.name)[\(i)]")
            #expect(y[type.blockSize + i] == v, "\(type.name)[block 1, \(i)]")
        }
        #expect(y.prefix(type.blockSize).reduce(0.0) { $0 + Double($1) } == expected.sum)
    }

    @Test func denseTypes() throws {
        let f32: [Float] = [1.5, -0.0, .infinity, Float(bitPattern: 2)]
        let y32 = try f32.withUnsafeBytes { try GGMLType.f32.dequantize($0, count: 4) }
        #expect(y32.map(\.bitPattern) == f32.map(\.bitPattern))
        let y16 = try decode(.f16, [0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc], count: 3)
        #expect(y16 == [1, 0x1p-24, -.infinity])
        let ybf = try decode(.bf16, [0x80, 0x3f, 0x40, 0xc0], count: 2)
        #expect(ybf == [1, -3])
    }

    @Test func rejectsBadRequests() throws {
        let bytes = [UInt8](repeating: 0, count: 34)
        #expect(throws: QuantError(.q8_0, "count 16 is not a multiple of the block size 32")) {
            _ = try decode(.q8_0, bytes, count: 16)
        }
        #expect(throws: QuantError(.q8_0, "source has 34 bytes; 64 values need 68")) {
            _ = try decode(.q8_0, bytes, count: 64)
        }
        #expect(throws: QuantError(.iq2_xxs, "dequantization of IQ2_XXS is not supported")) {
            _ = try decode(.iq2_xxs, bytes, count: 256)
        }
        #expect(throws: QuantError.self) { _ = try decode(.q4_0, bytes, count: -32) }
        #expect(try decode(.q4_0, [], count: 0) == [])
        #expect(GGMLType.q6_K.canDequantize && !GGMLType.q8_K.canDequantize && !GGMLType.iq4_nl.canDequantize)
        #expect(QuantError(.q4_K, "x").description == "Q4_K: x")
    }
}
