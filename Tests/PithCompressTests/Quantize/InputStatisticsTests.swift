import Testing
@testable import PithCompress

@Suite struct InputStatisticsTests {
    @Test func gramMatchesPlainLoops() throws {
        let features = 24, tokens = 2048 + 300  // more than one f32 chunk
        let x = correlatedInputs(tokens: tokens, features: features, salient: [3], seed: 7)
        let s = statistics(of: x, features: features, keepSampleRows: 64)
        #expect(s.tokens == tokens)
        for i in 0..<features {
            for j in 0..<features {
                var g: Double = 0
                for t in 0..<tokens { g += Double(x[t * features + i]) * Double(x[t * features + j]) }
                #expect(abs(s.gram[i * features + j] - g) <= 1e-5 * max(1, abs(g)) + 1e-3)
            }
            let absSum = (0..<tokens).reduce(0.0) { $0 + Double(abs(x[$1 * features + i])) }
            let absMax = (0..<tokens).reduce(Float(0)) { max($0, abs(x[$1 * features + i])) }
            #expect(abs(s.absSum[i] - absSum) <= 1e-6 * absSum)
            #expect(s.absMax[i] == absMax)
        }
        #expect(s.gram == (0..<features * features).map { s.gram[($0 % features) * features + $0 / features] })
    }

    @Test func sampleRowsAreInputRowsSpreadOverTheData() {
        let features = 4, tokens = 5000
        var x = [Float](repeating: 0, count: tokens * features)
        for t in 0..<tokens { for j in 0..<features { x[t * features + j] = Float(t * features + j) } }
        let s = statistics(of: x, features: features, keepSampleRows: 100)
        #expect(s.sampleCount == 100)
        let indices = (0..<100).map { Int(s.sampleRows[$0 * features]) / features }
        for (k, t) in indices.enumerated() {
            #expect(s.sampleRows[(k * features)..<((k + 1) * features)].elementsEqual((0..<features).map { Float(t * features + $0) }))
        }
        #expect(Set(indices).count == 100)
        #expect(indices.filter { $0 >= tokens / 2 }.count > 25)  // not just the first rows
    }

    @Test func mergeEqualsOneAccumulation() {
        let features = 16
        let x = correlatedInputs(tokens: 600, features: features, seed: 3)
        let whole = statistics(of: x, features: features, keepSampleRows: 50)
        var first = statistics(of: Array(x[0..<(200 * features)]), features: features, keepSampleRows: 50)
        let second = statistics(of: Array(x[(200 * features)...]), features: features, keepSampleRows: 50)
        first.merge(second)
        #expect(first.tokens == 600)
        #expect(first.problem == nil)
        #expect(first.sampleCount == 50)
        for i in 0..<(features * features) { #expect(abs(first.gram[i] - whole.gram[i]) <= 1e-4 * max(1, abs(whole.gram[i]))) }
        #expect(first.absMax == whole.absMax)
        for j in 0..<features { #expect(abs(first.absSum[j] - whole.absSum[j]) <= 1e-9 * whole.absSum[j]) }
    }

    @Test func oddInputIsRecordedNotFatal() {
        var s = InputStatistics(features: 4)
        s.merge(InputStatistics(features: 5))
        #expect(s.problem != nil)
        var t = InputStatistics(features: 2)
        let bad: [Float] = [1, .nan, 2, 3]
        bad.withUnsafeBufferPointer { t.accumulate($0.baseAddress!, count: 2) }
        #expect(t.problem?.contains("not finite") == true)
        #expect(InputStatistics(features: 0).problem != nil)
        var u = InputStatistics(features: 8, keepGram: false)
        let rows = [Float](repeating: 1, count: 16)
        rows.withUnsafeBufferPointer { u.accumulate($0.baseAddress!, count: 2) }
        #expect(u.gram.isEmpty && u.tokens == 2 && u.sampleCount == 2)
    }

    @Test func outputErrorMatchesDirectProduct() throws {
        let rows = 6, cols = 32
        let x = correlatedInputs(tokens: 300, features: cols, seed: 11)
        var random = TestRandom(seed: 5)
        let w = random.gaussians(rows * cols), v = random.gaussians(rows * cols)
        let reference = referenceOutputError(w, v, rows: rows, cols: cols, x: x)
        let fromGram = try statistics(of: x, features: cols).outputError(original: w, approximation: v, rows: rows)
        #expect(abs(fromGram - reference) <= 1e-4 * reference)
        // Without the Gram matrix, all 300 rows fit in the sample, so the result is the same.
        let fromSamples = try statistics(of: x, features: cols, keepSampleRows: 300, keepGram: false)
            .outputError(original: w, approximation: v, rows: rows)
        #expect(abs(fromSamples - reference) <= 1e-4 * reference)
    }
}
