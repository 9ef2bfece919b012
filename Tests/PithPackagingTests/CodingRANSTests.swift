import Foundation
import Testing
@testable import PithPackaging

@Suite struct CodingRANSTests {
    private func counts(_ bytes: [UInt8]) -> [UInt64] {
        var h = [UInt64](repeating: 0, count: 256)
        bytes.withUnsafeBytes { Histogram.add($0, to: &h) }
        return h
    }

    private func roundTrip(_ bytes: [UInt8], scaleBits: Int = 12) throws -> [UInt8] {
        let table = try #require(FrequencyTable.normalized(counts(bytes), scaleBits: scaleBits))
        let coded = bytes.withUnsafeBytes { RANS.encode($0, with: RANS.EncoderTable(table)) }
        #expect(coded.count <= RANS.maxEncodedSize(symbols: bytes.count))
        var out = [UInt8](repeating: 0, count: bytes.count)
        try coded.withUnsafeBytes { c in
            try out.withUnsafeMutableBufferPointer { o in
                try RANS.decode(c, count: bytes.count, into: o.baseAddress ?? UnsafeMutablePointer.allocate(capacity: 1),
                                with: RANS.DecoderTable(table), label: "test")
            }
        }
        #expect(out == bytes)
        return coded
    }

    @Test func normalisationKeepsEveryPresentSymbolAndSumsToTheScale() throws {
        var rng = CodingRandom(seed: 1)
        for bits in FrequencyTable.scaleBitsRange {
            // One dominant symbol and 255 that occur once: the rare ones must still get frequency 1.
            var c = [UInt64](repeating: 1, count: 256)
            c[7] = 10_000_000
            let t = try #require(FrequencyTable.normalized(c, scaleBits: bits))
            #expect(t.frequencies.allSatisfy { $0 >= 1 })
            #expect(t.frequencies.reduce(0, +) == t.scale)
            // Random sparse counts.
            for _ in 0..<20 {
                let h = (0..<256).map { _ in Bool.random(using: &rng) ? UInt64.random(in: 0...100_000, using: &rng) : 0 }
                guard h.contains(where: { $0 > 0 }) else { continue }
                let t = try #require(FrequencyTable.normalized(h, scaleBits: bits))
                #expect(t.frequencies.reduce(0, +) == t.scale)
                for s in 0..<256 { #expect((h[s] > 0) == (t.frequencies[s] > 0)) }
            }
        }
        #expect(FrequencyTable.normalized([UInt64](repeating: 0, count: 256), scaleBits: 12) == nil)
    }

    @Test func roundTripsRandomSkewedAndEdgeCases() throws {
        var rng = CodingRandom(seed: 2)
        // Every length near the 4-lane tail.
        for n in 1...13 { _ = try roundTrip(rng.bytes(n)) }
        _ = try roundTrip(rng.bytes(100_003))
        // All 256 symbols, uniform: no gain, but exact.
        _ = try roundTrip((0..<65_536).map { UInt8(truncatingIfNeeded: $0) }, scaleBits: 8)
        // A single symbol repeated: only the four states remain.
        let single = try roundTrip([UInt8](repeating: 42, count: 10_000), scaleBits: 8)
        #expect(single.count == RANS.stateBytes)
        // Skewed: geometric-ish, like int8 quants; must code near its entropy.
        let skewed = (0..<200_000).map { _ in UInt8(min(255, Int(abs(rng.gaussian()) * 12))) }
        let coded = try roundTrip(skewed)
        let h = counts(skewed), n = Double(skewed.count)
        var entropy = 0.0
        for c in h where c > 0 { entropy -= Double(c) * log2(Double(c) / n) / 8 }
        #expect(Double(coded.count) < entropy * 1.005 + 64)
        // Rare symbols with frequency 1 at the lowest resolution.
        var rare = [UInt8](repeating: 0, count: 50_000)
        for s in 1..<256 { rare[s * 100] = UInt8(s) }
        _ = try roundTrip(rare, scaleBits: 8)
    }

    @Test func emptyStreamIsJustTheStates() throws {
        let table = try #require(FrequencyTable.normalized([UInt64](repeating: 1, count: 256), scaleBits: 8))
        let coded = [UInt8]().withUnsafeBytes { RANS.encode($0, with: RANS.EncoderTable(table)) }
        #expect(coded.count == RANS.stateBytes)
    }

    @Test func tableSerialisationRoundTrips() throws {
        var c = [UInt64](repeating: 0, count: 256)
        for s in 3...200 { c[s] = UInt64(s * s) }
        for bits in FrequencyTable.scaleBitsRange {
            let t = try #require(FrequencyTable.normalized(c, scaleBits: bits))
            var w = CodingWriter()
            t.write(to: &w)
            #expect(w.bytes.count == t.serializedSize)
            let back = try w.bytes.withUnsafeBytes { raw -> FrequencyTable in
                var r = CodingReader(raw)
                return try FrequencyTable.read(from: &r, stream: 0)
            }
            #expect(back == t)
        }
    }
}
