import Testing
import PithTensor
@testable import PithCompress

@Suite struct RTNTests {
    static let schemes: [QuantScheme] = (2...8).flatMap { bits in
        [QuantScheme(bits: bits, groupSize: 32, symmetric: true), QuantScheme(bits: bits, groupSize: 64, symmetric: false),
         QuantScheme(bits: bits, groupSize: 0, symmetric: bits % 2 == 0)]
    }

    @Test(arguments: schemes)
    func codesRoundToTheNearestLevelOfTheStoredScale(scheme: QuantScheme) throws {
        let rows = 5, cols = 128
        var random = TestRandom(seed: UInt64(scheme.bits * 100 + scheme.groupSize))
        let w = random.gaussians(rows * cols, scale: 0.05)
        let m = try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme)
        let g = scheme.group(cols: cols), levels = 1 << scheme.bits
        let deq = m.dequantize()
        for i in 0..<(rows * cols) {
            let s = i / g, d = m.scales[s], mn = m.mins.isEmpty ? 0 : m.mins[s]
            #expect(Int(m.codes[i]) < levels)
            #expect(d == QuantizedMatrix.stored(scale: d, in: scheme))
            // No other code is closer (the extremes may sit a hair outside the f16-rounded grid).
            let best = (0..<levels).map { abs(QuantizedMatrix.value(code: UInt8($0), scale: d, min: mn, scheme: scheme) - w[i]) }.min() ?? 0
            #expect(abs(deq[i] - w[i]) <= best * (1 + 1e-6) + 1e-9)
            // Half a step inside the range; symmetric codes reach one level less on the side opposite the signed max.
            let bound = scheme.symmetric ? abs(d) * (1 + 1e-3) : abs(d) * 0.52
            #expect(abs(deq[i] - w[i]) <= bound)
        }
        // Packing round-trips.
        let bytes = m.pack()
        let back = try bytes.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }
        #expect(back == m)
    }

    @Test func symmetricScaleUsesTheExtraNegativeLevel() throws {
        let scheme = QuantScheme(bits: 3, groupSize: 32, symmetric: true)
        var w = [Float](repeating: 0.1, count: 32)
        w[5] = -0.8
        w[9] = 0.8  // same magnitude, later: the first one (negative) sets the sign
        let m = try RTN.quantize(w, rows: 1, cols: 32, scheme: scheme)
        #expect(m.scales[0] == QuantizedMatrix.stored(scale: -0.8 / -4, in: scheme))
        #expect(m.codes[5] == 0)  // d·(0 − 4) = −0.8
        #expect(m.codes[9] == 7)  // 0.8 clamps to 3·d = 0.6
    }

    @Test func clipSearchNeverIncreasesTheWeightedError() throws {
        let rows = 16, cols = 256
        var random = TestRandom(seed: 9)
        // Heavy tails make clipping worthwhile.
        var w = random.gaussians(rows * cols, scale: 0.02)
        for i in stride(from: 0, to: w.count, by: 37) { w[i] *= 8 }
        let importance = (0..<cols).map { _ in 0.1 + random.uniform() }
        for scheme in [QuantScheme(bits: 4, groupSize: 128, symmetric: false), QuantScheme(bits: 3, groupSize: 64, symmetric: true),
                       QuantScheme(bits: 4, groupSize: 0, symmetric: true), .nf4(), .fp8] {
            for weights in [nil, importance] {
                let plain = try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme).dequantize()
                let clipped = try RTN.quantize(w, rows: rows, cols: cols, scheme: scheme, clipSearch: true, importance: weights).dequantize()
                func error(_ q: [Float]) -> [Double] {  // per group of 64 columns
                    (0..<(rows * cols / 64)).map { s in
                        (0..<64).reduce(0.0) { acc, j in
                            let i = s * 64 + j, e = Double(q[i] - w[i])
                            return acc + e * e * Double(weights?[i % cols] ?? 1)
                        }
                    }
                }
                let before = error(plain).reduce(0, +), after = error(clipped).reduce(0, +)
                #expect(after <= before * (1 + 1e-9), "\(scheme)")
                if scheme.format == .int && scheme.groupSize != 0 { #expect(after < before * 0.98, "\(scheme): clipping should pay off") }
            }
        }
    }

    @Test func badInputThrowsOneLine() {
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        var w = [Float](repeating: 0.5, count: 64)
        #expect(throws: QuantizationError.self) { try RTN.quantize(w, rows: 2, cols: 31, scheme: scheme) }
        #expect(throws: QuantizationError.self) { try RTN.quantize(w, rows: 1, cols: 64, scheme: QuantScheme(bits: 4, groupSize: 48, symmetric: false)) }
        #expect(throws: QuantizationError.self) { try RTN.quantize(w, rows: 1, cols: 64, scheme: QuantScheme(bits: 9, groupSize: 32, symmetric: true)) }
        #expect(throws: QuantizationError.self) { try RTN.quantize(w, rows: 2, cols: 32, scheme: scheme, clipSearch: true, importance: [1]) }
        #expect(throws: QuantizationError.self) { try RTN.quantize([], rows: 0, cols: 32, scheme: scheme) }
        w[17] = .nan
        do {
            _ = try RTN.quantize(w, rows: 2, cols: 32, scheme: scheme)
            Issue.record("NaN accepted")
        } catch {
            #expect("\(error)" == "weight: value nan at row 0, column 17 is not finite")
        }
        w[17] = 1e9  // its group's scale overflows f16
        #expect(throws: QuantizationError.self) { try RTN.quantize(w, rows: 2, cols: 32, scheme: scheme) }
    }

    @Test func constantAndZeroGroups() throws {
        for scheme in [QuantScheme(bits: 4, groupSize: 32, symmetric: false), QuantScheme(bits: 4, groupSize: 32, symmetric: true),
                       QuantScheme.w8a8, .fp8, .nf4(), .fp4()] {
            let w = [Float](repeating: 0, count: 64) + [Float](repeating: -0.25, count: 64)
            let m = try RTN.quantize(w, rows: 2, cols: 64, scheme: scheme)
            #expect(zip(m.dequantize(), w).allSatisfy { abs($0 - $1) <= 1e-3 * abs($1) }, "\(scheme)")
        }
    }
}
