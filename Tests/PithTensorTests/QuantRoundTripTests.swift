import Testing
@testable import PithTensor

/// Reference quantizers: exact bytes against gguf-py's numpy encoders, hand-worked rounding cases, and
/// quantize → dequantize error budgets.
@Suite struct QuantRoundTripTests {
    private func encode(_ type: GGMLType, _ x: [Float]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0xaa, count: type.rowBytes(elements: x.count) ?? 0)
        try x.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                try type.quantize(s, count: x.count, into: d)
            }
        }
        return out
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded(2) }.joined() }

    /// (37·i mod 64 − 32)/7, with one large positive value in the second block: exact in every language.
    private var sample: [Float] {
        var x = (0..<64).map { Float((($0 * 37) % 64) - 32) / 7 }
        x[40] = 9.25
        return x
    }

    // gguf-py (`gguf.quants.quantize`) bytes for `sample`, an encoder written independently of ggml's C.
    static let expectedHex: [GGMLType: String] = [
        .q4_0: "923840d973fc952ec851ea731da63fc862fba0bc689b578ab679a46890468ab578ac579b",
        .q4_1: "cd3892c440d962fb952eb751da730c953ec851ea4c3b6ec47531965208642a854f97531874308642",
        .q5_0: "92342ab55aa980b3d5f82a5d7fa2c4f7194c6e91b3e6a0b82bb45aadc037ae047be249bf209d036ad148bf15",
        .q5_1: "a53492c42ab55aa980a2d5f72a4c7f91c4e6193b6e80b3d50f376ec450098442fa612da511d8440b7f3eb621e9501c83",
        .q8_0: "9c288114a93cd063f88d20b547dc6f04992cc053e87b10a538cc5ff4891cb143d86ba92c00cb14df27f23b067f19e52df8c30cd71fea33fec912dd25f03904cf18e32bf6",
    ]

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func bytesMatchReferenceEncoder(_ type: GGMLType) throws {
        #expect(hex(try encode(type, sample)) == Self.expectedHex[type])
    }

    @Test func handWorkedRounding() throws {
        // Q4_0: the signed max-magnitude value is −8, so d = 1 and q = trunc(x + 8.5), capped at 15.
        var x = [Float](repeating: 0, count: 32)
        x[0] = -8; x[1] = 7; x[2] = 3.4; x[3] = 3.6; x[16] = 7.9
        let q4 = try encode(.q4_0, x)
        #expect(Array(q4[0..<2]) == [0x00, 0x3c])
        #expect(q4[2] == 0xf0 && q4[3] == 0x8f && q4[4] == 0x8b && q4[5] == 0x8c)

        // Q8_0: amax 127 → d = 1; halves round away from zero.
        x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = 2.5; x[2] = -2.5; x[3] = -127
        let q8 = try encode(.q8_0, x)
        #expect(Array(q8[0..<6]) == [0x00, 0x3c, 0x7f, 0x03, 0xfd, 0x81])

        // Q4_1: range 0…15 → d = 1, m = 0; q = trunc(x + 0.5).
        x = (0..<32).map { Float($0 % 16) }
        x[1] = 7.5; x[2] = 7.49
        let q41 = try encode(.q4_1, x)
        #expect(Array(q41[0..<4]) == [0x00, 0x3c, 0x00, 0x00])
        #expect(q41[5] == 0x18 && q41[6] == 0x27)

        // An all-zero block has d = 0/−8 = −0 (as in C) and decodes to zeros.
        let zero = try encode(.q4_0, [Float](repeating: 0, count: 32))
        #expect(zero == [0x00, 0x80] + [UInt8](repeating: 0x88, count: 16))
    }

    // Worst-case error per element, as a fraction of the block's step d (plus f16 rounding of the scales).
    // Symmetric types lose a whole step at the extreme opposite the signed max, so their budget is one step.
    static let stepBudget: [GGMLType: Float] = [.q8_0: 0.5, .q4_0: 1, .q5_0: 1, .q4_1: 0.5, .q5_1: 0.5]
    static let f16ScaleError: Float = 2e-3

    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0])
    func roundTripWithinBudget(_ type: GGMLType) throws {
        var state: UInt32 = 42
        let x: [Float] = (0..<4096).map { i in
            state = state &* 1_664_525 &+ 1_013_904_223
            let u = Float(state >> 8) / Float(1 << 24) - 0.5
            return u * Float(1 + i % 7) + (type == .q4_1 || type == .q5_1 ? 0.3 : 0)  // offset exercises the min
        }
        let blocks = try encode(type, x)
        let y = try blocks.withUnsafeBytes { try type.dequantize($0, count: x.count) }
        let levels: Float = [.q8_0: 127, .q4_0: 8, .q5_0: 16, .q4_1: 15, .q5_1: 31][type] ?? 1
        let budget = try #require(Self.stepBudget[type])
        for b in 0..<(x.count / 32) {
            let block = x[(32 * b)..<(32 * b + 32)]
            let lo = block.min() ?? 0, hi = block.max() ?? 0
            let amax = max(abs(lo), abs(hi))
            let isAffine = type == .q4_1 || type == .q5_1
            let step = isAffine ? (hi - lo) / levels : amax / levels
            let bound = budget * step + Self.f16ScaleError * amax
            for i in (32 * b)..<(32 * b + 32) {
                #expect(abs(x[i] - y[i]) <= bound, "\(type.name)[\(i)]: \(x[i]) → \(y[i]), bound \(bound)")
            }
        }
    }

    @Test func denseRoundTrips() throws {
        let x: [Float] = [1, -2.5, 65504, 0x1p-24, .infinity]
        let h = try encode(.f16, x)
        #expect(try h.withUnsafeBytes { try GGMLType.f16.dequantize($0, count: 5) } == x)
        let b = try encode(.bf16, [1, -3, .infinity])
        #expect(b == [0x80, 0x3f, 0x40, 0xc0, 0x80, 0x7f])
        #expect(try encode(.f32, [1.5]) == [0x00, 0x00, 0xc0, 0x3f])
    }

    @Test func rejectsBadInput() throws {
        var x = [Float](repeating: 1, count: 32)
        x[7] = .nan
        #expect(throws: QuantError(.q8_0, "value nan at index 7 is not finite")) { _ = try encode(.q8_0, x) }
        #expect(throws: QuantError(.q4_0, "count 16 is not a multiple of the block size 32")) {
            _ = try encode(.q4_0, [Float](repeating: 0, count: 16))
        }
        #expect(throws: QuantError(.q4_K, "quantization to Q4_K is not supported")) {
            _ = try encode(.q4_K, [Float](repeating: 0, count: 256))
        }
        #expect(GGMLType.q5_1.canQuantize && !GGMLType.q6_K.canQuantize)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
