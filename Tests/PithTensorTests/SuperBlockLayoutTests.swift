import Foundation
import Testing
@testable import PithTensor

/// The double-quantized int layout: super-block lengths, sizes, packing, fitting, expansion, hostile bytes.
@Suite struct SuperBlockLayoutTests {
    /// Largest relative error of a fitted group scale against the float scale it stands for, for the groups holding at
    /// least a quarter of their super-block's largest scale: half a step of d ≤ max/50 (the smallest candidate, 5-bit
    /// rounded) against a value ≥ max/4 is ≤ 0.5·4/50·(1 + 1/32) ≈ 0.041.
    static let fittedScaleBudget: Float = 0.045

    @Test func superBlockLengthFollowsTheRow() {
        let s = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)
        #expect(s.superBlock(cols: 576) == 192)
        #expect(s.superBlock(cols: 1536) == 256)
        #expect(s.superBlock(cols: 4096) == 256)
        #expect(s.superBlock(cols: 96) == 96)
        #expect(QuantScheme(bits: 4, groupSize: 64, symmetric: false, doubleQuantization: true).superBlock(cols: 576) == 192)
        #expect(QuantScheme(bits: 4, groupSize: 0, symmetric: false, doubleQuantization: true).superBlock(cols: 576) == 576)
    }

    @Test func sizesAndNames() {
        let asym = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)
        // 256 values: d, dmin (4) + 16 six-bit fields (12) + 128 code bytes = 144 bytes, Q4_K's size.
        #expect(asym.byteCount(rows: 3, cols: 1536) == 3 * 6 * 144)
        #expect(asym.bitsPerWeight(cols: 1536) == 4.5)
        // 192 values: 4 + 9 + 96 = 109 bytes.
        #expect(asym.byteCount(rows: 2, cols: 576) == 2 * 3 * 109)
        #expect(asym.description == "int4-g32-asym-dq")
        #expect(asym.ggmlEquivalent == nil)
        let sym3 = QuantScheme(bits: 3, groupSize: 32, symmetric: true, doubleQuantization: true)
        #expect(sym3.byteCount(rows: 1, cols: 256) == 2 + 6 + 96)
        #expect(QuantScheme(bits: 8, groupSize: 0, symmetric: true, doubleQuantization: true, activationBits: 8).problem(cols: 64) != nil)
        #expect(QuantScheme(format: .fp8, bits: 8, groupSize: 0, symmetric: true, doubleQuantization: true).problem(cols: 64) != nil)
    }

    @Test func sixBitFieldsRoundTrip() {
        for count in [1, 5, 6, 12, 16] {
            let fields = (0..<count).map { UInt8(($0 * 37 + 11) % 64) }
            var bytes = [UInt8](repeating: 0xFF, count: (6 * count + 7) / 8)
            bytes.withUnsafeMutableBytes { p in
                fields.withUnsafeBufferPointer { SuperBlockScales.pack6($0.baseAddress!, count: count, into: p.baseAddress!) }
            }
            let back = bytes.withUnsafeBytes { p in (0..<count).map { SuperBlockScales.field6(p.baseAddress!, $0) } }
            #expect(back == fields)
        }
    }

    @Test func fittedScalesAreExactF16AndClose() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let values = (0..<8).map { _ in Float.random(in: 0.001...0.08, using: &rng) }
            var codes = [UInt8](repeating: 0, count: 8)
            let d = SuperBlockScales.fitCodes(values, into: &codes, at: 0)
            #expect(d > 0)
            let vmax = values.max()!
            for (v, c) in zip(values, codes) {
                let s = d * Float(c)
                #expect(Half.toFloat(Half.fromFloat(s)) == s, "d·sc must be an exact f16")
                if v >= vmax / 4 { #expect(abs(s - v) <= Self.fittedScaleBudget * v) }
            }
        }
        var codes = [UInt8](repeating: 9, count: 3)
        #expect(SuperBlockScales.fitCodes([0, 0, 0], into: &codes, at: 0) == 0)
        #expect(codes == [0, 0, 0])
    }

    @Test(arguments: [(4, false), (3, false), (5, false), (4, true), (2, true), (8, false)])
    func packUnpackAndExpansionAgree(bits: Int, symmetric: Bool) throws {
        let scheme = QuantScheme(bits: bits, groupSize: 32, symmetric: symmetric, doubleQuantization: true)
        var rng = SeededRandom(seed: UInt64(bits))
        for cols in [576, 512] {
            let rows = 3, groups = rows * cols / 32
            let codes = (0..<(rows * cols)).map { _ in UInt8.random(in: 0...UInt8((1 << bits) - 1), using: &rng) }
            let scales = (0..<groups).map { _ in Float.random(in: 0.002...0.05, using: &rng) }
            let mins = symmetric ? [] : (0..<groups).map { _ in -Float.random(in: 0...0.4, using: &rng) }
            let m = try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
            let packed = m.pack()
            #expect(packed.count == scheme.byteCount(rows: rows, cols: cols))
            let back = try packed.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
            #expect(back == m)
            // The plain layout the runtime runs holds exactly the same values.
            let (plain, bytes) = try packed.withUnsafeBytes {
                try QuantizedMatrix.expandSuperBlocks($0, scheme: scheme, rows: rows, cols: cols)
            }
            #expect(!plain.doubleQuantization)
            let expanded = try bytes.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: plain, rows: rows, cols: cols) }
            #expect(expanded.dequantize() == m.dequantize())
        }
    }

    @Test func hostileBytesDoNotCrash() throws {
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)
        let rows = 2, cols = 576, n = scheme.byteCount(rows: rows, cols: cols)!
        for fill: UInt8 in [0xFF, 0x7C, 0x00] {
            let bytes = [UInt8](repeating: fill, count: n)
            let m = try bytes.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
            _ = m.dequantize()
            _ = try bytes.withUnsafeBytes { try QuantizedMatrix.expandSuperBlocks($0, scheme: scheme, rows: rows, cols: cols) }
        }
        let short = [UInt8](repeating: 0, count: n - 1)
        #expect(throws: QuantLayoutError.self) {
            try short.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
        }
        #expect(throws: QuantLayoutError.self) {
            try short.withUnsafeBytes { try QuantizedMatrix.expandSuperBlocks($0, scheme: scheme, rows: rows, cols: cols) }
        }
    }

    @Test func schemeJSONStaysCompatible() throws {
        let old = #"{"format":"int","bits":4,"group_size":32,"symmetric":false,"double_quantization":false,"activation_bits":null}"#
        let decoded = try JSONDecoder().decode(QuantScheme.self, from: Data(old.utf8))
        #expect(!decoded.doubleQuantization)
        let dq = QuantScheme(bits: 4, groupSize: 32, symmetric: false, doubleQuantization: true)
        #expect(try JSONDecoder().decode(QuantScheme.self, from: JSONEncoder().encode(dq)) == dq)
    }
}
