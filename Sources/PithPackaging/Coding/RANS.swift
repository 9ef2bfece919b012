/// Interleaved range asymmetric numeral systems (rANS, Duda 2013) over byte symbols.
///
/// Four 32-bit states take turns symbol by symbol (symbol i uses state i mod 4) and share one stream of 16-bit
/// little-endian words, the word-renormalising, interleaved arrangement of Giesen's ryg_rans. States live in
/// [L, 2^32) with L = 2^16, so a state gives or takes at most one word per symbol. Coded layout:
///
///     x0 x1 x2 x3 (u32 LE each, the encoder's final states)  w0 w1 … (u16 LE words, in decoding order)
///
/// The encoder starts every state at L; a decoder that ends with all states at L, having read every word,
/// has checked the stream end to end.
enum RANS {
    static let lanes = 4
    static let lowerBound: UInt32 = 1 << 16
    static let stateBytes = 4 * lanes

    /// The most bytes `encode` can produce for `symbols` symbols (each symbol emits at most one word).
    static func maxEncodedSize(symbols: Int) -> Int { stateBytes + 2 * symbols }

    // MARK: - Tables

    /// Per-symbol encoding constants: frequency, cumulative frequency, and the state bound x_max = 2^(32−n)·f
    /// at or above which a word must be emitted first (kept in 64 bits: f = 2^n gives 2^32).
    struct EncoderTable: Sendable {
        let scaleBits: UInt32
        let freq: [UInt32]
        let cum: [UInt32]
        let xmax: [UInt64]

        init(_ t: FrequencyTable) {
            scaleBits = UInt32(t.scaleBits)
            freq = t.frequencies
            var c: [UInt32] = [], running: UInt32 = 0
            for f in t.frequencies { c.append(running); running += f }
            cum = c
            xmax = t.frequencies.map { UInt64($0) << UInt64(32 - t.scaleBits) }
        }
    }

    /// The slot table of a decoder, one 32-bit entry per 2^n slots: symbol in bits 0–7, slot − cum in
    /// bits 8–19, freq − 1 in bits 20–31 (n ≤ 12 makes both fit).
    struct DecoderTable: Sendable {
        let scaleBits: UInt32
        let entries: [UInt32]

        init(_ t: FrequencyTable) {
            precondition(t.scaleBits <= 12)
            scaleBits = UInt32(t.scaleBits)
            var e = [UInt32](repeating: 0, count: 1 << t.scaleBits)
            var slot = 0
            for s in 0..<256 {
                let f = Int(t.frequencies[s])
                for bias in 0..<f {
                    e[slot] = UInt32(s) | UInt32(bias) << 8 | UInt32(f - 1) << 20
                    slot += 1
                }
            }
            entries = e
        }
    }

    // MARK: - Encode

    /// Codes `symbols` with `table`, which must give every symbol present a non-zero frequency.
    static func encode(_ symbols: UnsafeRawBufferPointer, with table: EncoderTable) -> [UInt8] {
        let n = symbols.count
        let capacity = maxEncodedSize(symbols: n)
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            let base = UnsafeMutableRawPointer(out.baseAddress!)
            var p = base + capacity
            table.freq.withUnsafeBufferPointer { freq in
            table.cum.withUnsafeBufferPointer { cum in
            table.xmax.withUnsafeBufferPointer { xmax in
                let src = symbols.baseAddress?.assumingMemoryBound(to: UInt8.self)
                let sb = table.scaleBits
                var x0 = lowerBound, x1 = lowerBound, x2 = lowerBound, x3 = lowerBound

                @inline(__always) func put(_ x: inout UInt32, _ symbol: UInt8) {
                    let s = Int(symbol)
                    if UInt64(x) >= xmax[s] {
                        p -= 2
                        p.storeBytes(of: UInt16(truncatingIfNeeded: x).littleEndian, as: UInt16.self)
                        x >>= 16
                    }
                    let f = freq[s]
                    let q = x / f
                    x = (q << sb) &+ (x &- q &* f) &+ cum[s]
                }

                // Symbols are coded last to first so that the decoder reads words first to last.
                let whole = n & ~3
                var i = n
                while i > whole {
                    i -= 1
                    switch i & 3 {
                    case 0: put(&x0, src![i])
                    case 1: put(&x1, src![i])
                    default: put(&x2, src![i])
                    }
                }
                while i > 0 {
                    i -= 4
                    put(&x3, src![i + 3])
                    put(&x2, src![i + 2])
                    put(&x1, src![i + 1])
                    put(&x0, src![i])
                }
                for x in [x3, x2, x1, x0] {
                    p -= 4
                    p.storeBytes(of: x.littleEndian, as: UInt32.self)
                }
            }}}
            let used = base + capacity - p
            base.copyMemory(from: p, byteCount: used)
            initialized = used
        }
    }

    // MARK: - Decode

    /// Decodes `count` symbols from `coded` into `out`, checking that the stream is consumed exactly and that
    /// the states return to their initial value; any other outcome throws.
    static func decode(_ coded: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<UInt8>,
                       with table: DecoderTable, label: String) throws {
        guard coded.count >= stateBytes, (coded.count - stateBytes) % 2 == 0, let start = coded.baseAddress else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) has \(coded.count) bytes; "
                + "\(stateBytes) state bytes and whole 16-bit words are needed")
        }
        guard (coded.count - stateBytes) / 2 <= count else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) has more words than its \(count) symbols can use")
        }
        func state(_ k: Int) -> UInt32 { UInt32(littleEndian: start.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)) }
        var x0 = state(0), x1 = state(1), x2 = state(2), x3 = state(3)
        guard min(x0, x1, x2, x3) >= lowerBound else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) has an initial state below 2^16")
        }
        var p = start + stateBytes
        let end = start + coded.count
        var overrun = false
        table.entries.withUnsafeBufferPointer { entries in
            let tab = entries.baseAddress!
            let sb = table.scaleBits
            let mask = (UInt32(1) << sb) - 1

            @inline(__always) func get(_ x: inout UInt32, _ o: UnsafeMutablePointer<UInt8>) {
                let e = tab[Int(x & mask)]
                o.pointee = UInt8(truncatingIfNeeded: e)
                x = ((e >> 20) &+ 1) &* (x >> sb) &+ ((e >> 8) & 0xFFF)
                if x < lowerBound {
                    if p < end {
                        x = (x << 16) | UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
                        p += 2
                    } else {
                        overrun = true
                    }
                }
            }

            let whole = count & ~3
            var i = 0
            while i < whole {
                get(&x0, out + i)
                get(&x1, out + i + 1)
                get(&x2, out + i + 2)
                get(&x3, out + i + 3)
                i += 4
            }
            if i < count { get(&x0, out + i); i += 1 }
            if i < count { get(&x1, out + i); i += 1 }
            if i < count { get(&x2, out + i) }
        }
        guard !overrun else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) ran out of words before its \(count) symbols")
        }
        guard p == end else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) has \(end - p) bytes left after its \(count) symbols")
        }
        guard x0 == lowerBound, x1 == lowerBound, x2 == lowerBound, x3 == lowerBound else {
            throw CodingError(.corrupt, "tensor coding: rANS \(label) does not end in its initial states (corrupt data)")
        }
    }
}
