import Testing
@testable import PithTensor

@Suite struct QuantizedMatrixLayoutTests {
    /// A deterministic pseudo-random byte stream.
    private func bytes(_ n: Int, seed: UInt64) -> [UInt8] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: s >> 33)
        }
    }

    @Test(arguments: 2...8)
    func intCodesSurvivePackingAtEveryWidth(bits: Int) throws {
        for (group, symmetric) in [(32, true), (64, false), (128, true), (0, false)] {
            let scheme = QuantScheme(bits: bits, groupSize: group, symmetric: symmetric)
            let rows = 3, cols = 256, groups = rows * cols / scheme.group(cols: cols)
            let codes = bytes(rows * cols, seed: UInt64(bits)).map { $0 & UInt8((1 << bits) - 1) }
            let scales = (0..<groups).map { Half.toFloat(Half.fromFloat(0.01 * Float($0 + 1))) }
            let mins = symmetric ? [] : (0..<groups).map { Half.toFloat(Half.fromFloat(-0.1 * Float($0))) }
            let m = try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
            let packed = m.pack()
            #expect(packed.count == scheme.byteCount(rows: rows, cols: cols))
            let back = try packed.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
            #expect(back == m)
        }
    }

    @Test func fourBitGroupsOf32AreGGMLQ4Layouts() throws {
        let rows = 2, cols = 64
        let x = (0..<(rows * cols)).map { Float(($0 * 37) % 23) * 0.05 - 0.4 }
        for (type, symmetric) in [(GGMLType.q4_1, false), (.q4_0, true)] {
            var ggml = [UInt8](repeating: 0, count: rows * (type.rowBytes(elements: cols) ?? 0))
            try x.withUnsafeBufferPointer { src in
                try ggml.withUnsafeMutableBytes { try type.quantize(src.baseAddress!, count: rows * cols, into: $0.baseAddress!) }
            }
            let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: symmetric)
            #expect(scheme.ggmlEquivalent == type)
            let m = try ggml.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
            #expect(m.pack() == ggml)
            #expect(m.dequantize() == (try ggml.withUnsafeBytes { try type.dequantize($0, count: rows * cols) }))
        }
    }

    @Test func doubleQuantizedNF4KeepsScalesClose() throws {
        let scheme = QuantScheme.nf4()
        let rows = 4, cols = 512, blocks = rows * cols / 64
        let absmax = (0..<blocks).map { 0.02 + 0.001 * Float($0 % 7) }
        let codes = bytes(rows * cols, seed: 9).map { $0 & 15 }
        let m = try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: absmax)
        let packed = m.pack()
        #expect(packed.count == rows * cols / 2 + blocks + 4 + 4)
        let back = try packed.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
        #expect(back.codes == codes)
        for (a, b) in zip(absmax, back.scales) { #expect(abs(a - b) <= 0.003 / 127 + 1e-7) }
        #expect(abs(scheme.bitsPerWeight(cols: cols) - 4.127) < 0.01)
    }

    @Test func e4m3RoundTripsEveryFiniteCode() {
        for byte in 0...255 where byte & 0x7f != 0x7f {
            let v = FloatCodebook.e4m3(UInt8(byte))
            let back = FloatCodebook.e4m3Byte(v)
            #expect(v == 0 ? back & 0x7f == 0 : back == UInt8(byte))
        }
        #expect(FloatCodebook.e4m3(0x7e) == 448)
        #expect(FloatCodebook.e4m3Byte(1000) == 0x7e)
    }

    @Test func badSchemesAreRefusedWithAReason() {
        #expect(QuantScheme(bits: 9, groupSize: 32, symmetric: true).problem(cols: 64) != nil)
        #expect(QuantScheme(bits: 4, groupSize: 48, symmetric: true).problem(cols: 96) != nil)
        #expect(QuantScheme(bits: 4, groupSize: 128, symmetric: true).problem(cols: 576) != nil)
        #expect(QuantScheme(bits: 4, groupSize: 64, symmetric: true).problem(cols: 576) == nil)
        #expect(QuantScheme(bits: 4, groupSize: 64, symmetric: true).byteCount(rows: 2, cols: 96) == nil)
    }
}
