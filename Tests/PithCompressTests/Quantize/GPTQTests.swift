import Foundation
import Testing
import PithTensor
@testable import PithCompress

@Suite struct GPTQTests {
    /// GPTQ's output error must beat round-to-nearest's by at least this factor on correlated inputs.
    static let requiredGain = 0.8

    static let rows = 64, cols = 256, tokens = 2048
    static let x = correlatedInputs(tokens: tokens, features: cols, salient: [3, 70, 200], seed: 2)
    static let stats = statistics(of: x, features: cols)
    static let w: [Float] = { var r = TestRandom(seed: 4); return r.gaussians(rows * cols, scale: 0.05) }()

    struct Case: CustomTestStringConvertible, Sendable {
        let scheme: QuantScheme
        let actOrder: Bool
        let staticGroups: Bool
        var testDescription: String { "\(scheme) actOrder \(actOrder) static \(staticGroups)" }
    }

    static let cases: [Case] = [
        QuantScheme(bits: 4, groupSize: 32, symmetric: false), QuantScheme(bits: 4, groupSize: 128, symmetric: true),
        QuantScheme(bits: 3, groupSize: 64, symmetric: false), QuantScheme(bits: 4, groupSize: 0, symmetric: true),
        QuantScheme(bits: 2, groupSize: 64, symmetric: false),
    ].flatMap { s in [Case(scheme: s, actOrder: true, staticGroups: true), Case(scheme: s, actOrder: false, staticGroups: true),
                      Case(scheme: s, actOrder: true, staticGroups: false), Case(scheme: s, actOrder: false, staticGroups: false)] }
        + [Case(scheme: .nf4(), actOrder: true, staticGroups: true), Case(scheme: .fp8, actOrder: true, staticGroups: true),
           Case(scheme: .w8a8, actOrder: false, staticGroups: true)]

    @Test(arguments: cases)
    func beatsRoundToNearestOnOutputError(c: Case) throws {
        var options = GPTQOptions()
        options.actOrder = c.actOrder
        options.staticGroups = c.staticGroups
        options.blockSize = 64  // several lazy blocks
        let (m, loss) = try GPTQ.quantize(Self.w, rows: Self.rows, cols: Self.cols, scheme: c.scheme, statistics: Self.stats, options: options)
        let rtn = try RTN.quantize(Self.w, rows: Self.rows, cols: Self.cols, scheme: c.scheme).dequantize()
        let gptqError = try Self.stats.outputError(original: Self.w, approximation: m.dequantize(), rows: Self.rows)
        let rtnError = try Self.stats.outputError(original: Self.w, approximation: rtn, rows: Self.rows)
        print("GPTQ/RTN output error, \(c.testDescription): \(String(format: "%.3f", gptqError / rtnError))")
        #expect(gptqError < rtnError * Self.requiredGain, "GPTQ \(gptqError) vs RTN \(rtnError)")
        // GPTQ's reported loss is the quadratic it minimises, with the dampened H: ‖ΔX‖²/n + λ̄/2 · ‖Δ‖².
        let deq = m.dequantize()
        let meanDiagonal = (0..<Self.cols).reduce(0.0) { $0 + Self.stats.gram[$1 * Self.cols + $1] } * 2 / Double(Self.tokens * Self.cols)
        let damping = options.dampening * meanDiagonal / 2 * zip(deq, Self.w).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        #expect(abs(loss - (gptqError + damping)) < 2e-3 * loss, "loss \(loss) vs output error \(gptqError) + damping \(damping)")
        // Scales are stored values and groups stay in natural order: repacking changes nothing.
        let back = try m.pack().withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: c.scheme, rows: Self.rows, cols: Self.cols) }
        if c.scheme.format == .int { #expect(back == m) }
    }

    @Test func reportedLossIsTheOutputErrorWithoutDampening() throws {
        var options = GPTQOptions()
        options.dampening = 1e-7
        for actOrder in [false, true] {
            options.actOrder = actOrder
            let scheme = QuantScheme(bits: 3, groupSize: 32, symmetric: false)
            let (m, loss) = try GPTQ.quantize(Self.w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: Self.stats, options: options)
            let error = try Self.stats.outputError(original: Self.w, approximation: m.dequantize(), rows: Self.rows)
            #expect(abs(loss - error) <= 2e-3 * error, "loss \(loss) vs output error \(error)")
        }
    }

    @Test func staticActOrderGroupsComeFromTheOriginalWeights() throws {
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        let (m, _) = try GPTQ.quantize(Self.w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: Self.stats)
        let rtn = try RTN.quantize(Self.w, rows: Self.rows, cols: Self.cols, scheme: scheme)
        #expect(m.scales == rtn.scales && m.mins == rtn.mins)
    }

    @Test func uncorrelatedInputsGiveRoundToNearest() throws {
        // Diagonal H: nothing to compensate with, so GPTQ's codes are RTN's.
        let cols = 64, tokens = 64
        var x = [Float](repeating: 0, count: tokens * cols)
        for t in 0..<tokens { x[t * cols + t] = Float(1 + t % 5) }
        let stats = statistics(of: x, features: cols)
        var r = TestRandom(seed: 8)
        let w = r.gaussians(16 * cols)
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: true)
        let (m, _) = try GPTQ.quantize(w, rows: 16, cols: cols, scheme: scheme, statistics: stats)
        #expect(m == (try RTN.quantize(w, rows: 16, cols: cols, scheme: scheme)))
    }

    @Test func deadColumnsKeepTheirWeights() throws {
        let cols = 64, tokens = 500
        var x = correlatedInputs(tokens: tokens, features: cols, seed: 12)
        for t in 0..<tokens { x[t * cols + 10] = 0; x[t * cols + 41] = 0 }
        let stats = statistics(of: x, features: cols)
        var r = TestRandom(seed: 13)
        let w = r.gaussians(8 * cols)
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        let (m, loss) = try GPTQ.quantize(w, rows: 8, cols: cols, scheme: scheme, statistics: stats)
        #expect(loss.isFinite)
        let rtn = try RTN.quantize(w, rows: 8, cols: cols, scheme: scheme)
        for row in 0..<8 { for c in [10, 41] { #expect(m.codes[row * cols + c] == rtn.codes[row * cols + c]) } }
    }

    @Test func badInputThrows() throws {
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        var w = Self.w
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: InputStatistics(features: 128))
        }
        #expect(throws: QuantizationError.self) {  // no tokens
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: InputStatistics(features: Self.cols))
        }
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme,
                              statistics: statistics(of: Self.x, features: Self.cols, keepGram: false))
        }
        var options = GPTQOptions()
        options.blockSize = 0
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: Self.stats, options: options)
        }
        w[100] = .infinity
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize(w, rows: Self.rows, cols: Self.cols, scheme: scheme, statistics: Self.stats)
        }
        // nf4 blocks of 64 cannot follow rows of 96 values.
        #expect(throws: QuantizationError.self) {
            try GPTQ.quantize([Float](repeating: 1, count: 2 * 96), rows: 2, cols: 96, scheme: .nf4(),
                              statistics: statistics(of: correlatedInputs(tokens: 200, features: 96), features: 96))
        }
    }

    @Test func optionsDecodeFromPartialRecipes() throws {
        let o = try JSONDecoder().decode(GPTQOptions.self, from: Data(#"{"act_order": false, "block_size": 32}"#.utf8))
        #expect(!o.actOrder && o.blockSize == 32 && o.dampening == 0.01 && o.staticGroups)
        #expect(throws: QuantizationError.self) { try JSONDecoder().decode(GPTQOptions.self, from: Data(#"{"dampening": -1}"#.utf8)) }
        let a = try JSONDecoder().decode(AWQOptions.self, from: Data(#"{"clip_search": false}"#.utf8))
        #expect(!a.clipSearch && a.grid == 20 && a.maxSampleRows == 512)
    }

    /// SmolLM2-135M's shapes: (576, 576) attention and (576, 1536) down projection; 4096 calibration tokens. The time
    /// is printed, not asserted (BENCHMARKS.md: no timing assertions in tests).
    @Test(arguments: [(576, 576), (576, 1536), (1536, 576)])
    func runsOnSmolLM2Shapes(shape: (Int, Int)) throws {
        let (rows, cols) = shape
        let x = correlatedInputs(tokens: 1024, features: cols, salient: [1, 2], seed: 3)
        var stats = InputStatistics(features: cols)
        for _ in 0..<4 { x.withUnsafeBufferPointer { stats.accumulate($0.baseAddress!, count: 1024) } }
        var r = TestRandom(seed: 6)
        let w = r.gaussians(rows * cols, scale: 0.05)
        let scheme = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        let clock = ContinuousClock()
        var result: (matrix: QuantizedMatrix, loss: Double)?
        let elapsed = try clock.measure { result = try GPTQ.quantize(w, rows: rows, cols: cols, scheme: scheme, statistics: stats) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("GPTQ \(rows)×\(cols) int4-g32-asym: \(String(format: "%.3f", seconds)) s")
        #expect(result?.loss.isFinite == true)
    }
}
