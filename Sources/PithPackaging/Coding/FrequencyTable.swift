import Foundation

/// The order-0 model of one rANS-coded byte stream: symbol frequencies normalised to sum to 2^scaleBits.
///
/// Every symbol that occurs gets a frequency of at least 1, so every occurring symbol stays codable.
/// Serialised as `scaleBits` (u8), the first and last symbol with a non-zero frequency (u8, u8), then the
/// frequency of every symbol from first to last (zeros included) as unsigned LEB128.
struct FrequencyTable: Equatable, Sendable {
    /// Probability resolutions the format allows. 12 bits cost 0.01 % over the order-0 entropy on SmolLM2's
    /// quants and scales (13–15 bits gain < 0.01 %), and 12 keeps each decode-table entry in one 32-bit word.
    static let scaleBitsRange = 8...12

    let scaleBits: Int
    /// 256 frequencies; those of absent symbols are 0; they sum to `1 << scaleBits`.
    let frequencies: [UInt32]

    var scale: UInt32 { 1 << UInt32(scaleBits) }

    // MARK: - Normalisation

    /// The table for `counts` (256 occurrences) at `scaleBits`, or nil when nothing occurs or more symbols occur
    /// than the scale has slots.
    static func normalized(_ counts: [UInt64], scaleBits: Int) -> FrequencyTable? {
        precondition(counts.count == 256 && scaleBitsRange.contains(scaleBits))
        let total = counts.reduce(0, +)
        let present = counts.lazy.filter { $0 > 0 }.count
        let scale = UInt64(1) << UInt64(scaleBits)
        guard total > 0, present <= scale else { return nil }
        // Round to nearest, never below 1 for a symbol that occurs. Doubles keep c·scale exact enough (< 2^53).
        var f = counts.map { c -> Int64 in
            guard c > 0 else { return 0 }
            return max(1, Int64((Double(c) * Double(scale) / Double(total)).rounded()))
        }
        var diff = Int64(scale) - f.reduce(0, +)
        // Move one unit at a time to where it costs (or saves) the fewest bits, count · Δlog2 f.
        while diff != 0 {
            var best = -1, bestScore = -Double.infinity
            for s in 0..<256 where counts[s] > 0 {
                let c = Double(counts[s]), fs = Double(f[s])
                let score: Double
                if diff > 0 {
                    score = c * log2((fs + 1) / fs)
                } else {
                    guard f[s] > 1 else { continue }
                    score = -c * log2(fs / (fs - 1))
                }
                if score > bestScore { bestScore = score; best = s }
            }
            // present ≤ scale guarantees a symbol above 1 whenever the sum exceeds the scale.
            guard best >= 0 else { return nil }
            f[best] += diff > 0 ? 1 : -1
            diff += diff > 0 ? -1 : 1
        }
        return FrequencyTable(scaleBits: scaleBits, frequencies: f.map { UInt32($0) })
    }

    /// The table among `scaleBitsRange` that minimises coded bits plus its own serialised size.
    static func best(for counts: [UInt64]) -> FrequencyTable? {
        var best: (table: FrequencyTable, bytes: Double)?
        for bits in scaleBitsRange {
            guard let t = normalized(counts, scaleBits: bits) else { continue }
            let bytes = t.codedBits(counts) / 8 + Double(t.serializedSize)
            if best == nil || bytes < best!.bytes { best = (t, bytes) }
        }
        return best?.table
    }

    /// Bits the symbols counted in `counts` take under this table (the rANS payload, states excluded).
    func codedBits(_ counts: [UInt64]) -> Double {
        var bits = 0.0
        for s in 0..<256 where counts[s] > 0 {
            // A zero frequency cannot code the symbol; report that as unusable.
            guard frequencies[s] > 0 else { return .infinity }
            bits += Double(counts[s]) * (Double(scaleBits) - log2(Double(frequencies[s])))
        }
        return bits
    }

    // MARK: - Serialisation

    private var symbolRange: ClosedRange<Int> {
        let first = frequencies.firstIndex { $0 > 0 } ?? 0
        let last = frequencies.lastIndex { $0 > 0 } ?? 0
        return first...last
    }

    var serializedSize: Int {
        var w = CodingWriter()
        write(to: &w)
        return w.bytes.count
    }

    func write(to w: inout CodingWriter) {
        let range = symbolRange
        w.u8(UInt8(scaleBits))
        w.u8(UInt8(range.lowerBound))
        w.u8(UInt8(range.upperBound))
        for s in range { w.leb128(frequencies[s]) }
    }

    /// Reads and validates a table: a known resolution, first ≤ last, each frequency within the scale, and
    /// frequencies that sum exactly to the scale.
    static func read(from r: inout CodingReader, stream: Int) throws -> FrequencyTable {
        let bits = Int(try r.u8("scale bits of stream \(stream)"))
        guard scaleBitsRange.contains(bits) else {
            throw CodingError(.corrupt, "tensor coding: stream \(stream) has \(bits)-bit frequencies; \(scaleBitsRange) are allowed")
        }
        let first = Int(try r.u8("first symbol of stream \(stream)"))
        let last = Int(try r.u8("last symbol of stream \(stream)"))
        guard first <= last else {
            throw CodingError(.corrupt, "tensor coding: stream \(stream) symbol range \(first)...\(last) is empty")
        }
        let scale = UInt64(1) << UInt64(bits)
        var f = [UInt32](repeating: 0, count: 256), sum: UInt64 = 0
        for s in first...last {
            let v = try r.leb128("frequency of symbol \(s) in stream \(stream)")
            guard UInt64(v) <= scale else {
                throw CodingError(.corrupt, "tensor coding: stream \(stream) symbol \(s) frequency \(v) exceeds the scale \(scale)")
            }
            f[s] = v
            sum += UInt64(v)
        }
        guard sum == scale else {
            throw CodingError(.corrupt, "tensor coding: stream \(stream) frequencies sum to \(sum), not \(scale)")
        }
        return FrequencyTable(scaleBits: bits, frequencies: f)
    }
}
