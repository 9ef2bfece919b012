import Testing
@testable import PithTensor

// Hostile bytes: every fault a file can carry is refused with a SparseFormatError, never read out of bounds, and
// nothing is allocated from a size the buffer cannot hold.

@Suite struct SparseValidationTests {
    /// A valid encoding, its sections, and a helper to write little-endian fields into a copy.
    struct Sample: CustomStringConvertible {
        let matrix: SparseMatrix
        var description: String { "\(matrix.scheme), \(bytes.count) bytes" }
        var bytes: [UInt8]
        var sections: SparseSections { matrix.sections }

        init(_ scheme: SparseScheme, rows: Int = 6, cols: Int = 64, seed: UInt64 = 5) throws {
            let pattern = scheme.layout == .nm ? (scheme.n, scheme.m) : nil
            matrix = try SparseMatrix.encode(sparseRandomMatrix(rows: rows, cols: cols, pattern: pattern, seed: seed),
                                             rows: rows, cols: cols, scheme: scheme)
            bytes = matrix.bytes
        }

        mutating func put(_ value: UInt64, at offset: Int, bytes count: Int) {
            for i in 0..<count { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }

        func refused(_ expected: (SparseFormatError) -> Bool = { _ in true }) -> Bool {
            do {
                _ = try SparseMatrix(validating: bytes)
                return false
            } catch let error as SparseFormatError {
                return expected(error)
            } catch {
                return false
            }
        }
    }

    static func isData(_ e: SparseFormatError) -> Bool { if case .badData = e { true } else { false } }
    static func isHeader(_ e: SparseFormatError) -> Bool { if case .badHeader = e { true } else { false } }

    @Test(arguments: sparseTestSchemes)
    func everyTruncationIsRefused(scheme: SparseScheme) throws {
        let s = try Sample(scheme, rows: 3, cols: 64)
        for length in 0..<s.bytes.count {
            var t = s
            t.bytes = Array(s.bytes[0..<length])
            #expect(Bool(t.refused()), "\(scheme): \(length) of \(s.bytes.count) bytes accepted")
        }
        var longer = s
        longer.bytes.append(0)
        #expect(Bool(longer.refused(Self.isHeader)))
    }

    @Test func headerFieldsAreChecked() throws {
        let base = try Sample(.csr(values: .int8))
        var s = base; s.bytes[0] = UInt8(ascii: "X"); #expect(Bool(s.refused(Self.isHeader)))
        s = base; s.bytes[4] = 2; #expect(Bool(s.refused(Self.isHeader)))                  // version
        s = base; s.bytes[5] = 9; #expect(Bool(s.refused(Self.isHeader)))                  // layout code
        s = base; s.bytes[6] = 7; #expect(Bool(s.refused(Self.isHeader)))                  // value code
        s = base; s.bytes[7] = 3; #expect(Bool(s.refused(Self.isHeader)))                  // CSR index width
        s = base; s.bytes[18] = 1; #expect(Bool(s.refused(Self.isHeader)))                 // reserved
        s = base; s.put(16, at: 20, bytes: 4); #expect(Bool(s.refused(Self.isHeader)))     // int8 group not a multiple of 32
        s = base; s.put(0, at: 12, bytes: 4); #expect(Bool(s.refused(Self.isHeader)))      // zero columns
        let nm = try Sample(.nm(2, 4, values: .int4))
        s = nm; s.bytes[16] = 4; #expect(Bool(s.refused(Self.isHeader)))                   // 4:4
        s = nm; s.bytes[17] = 5; #expect(Bool(s.refused(Self.isHeader)))                   // M = 5
        s = nm; s.put(60, at: 12, bytes: 4); #expect(Bool(s.refused()))                    // cols no longer match the sizes
    }

    @Test func sizesThatLieAreRefusedBeforeAnyAllocation() throws {
        for scheme in sparseTestSchemes {
            let base = try Sample(scheme)
            // Enormous shapes and counts: the size arithmetic overflows or exceeds the buffer, and that is all.
            // (A CSR weight with u32 indices does not depend on cols for its size: any cols ≥ its columns is valid.)
            for (offset, width) in [(8, 4), (12, 4), (24, 8)] where !(offset == 12 && scheme.indexBytes == 4) {
                for value: UInt64 in [UInt64(UInt32.max), UInt64(UInt32.max) - 1, 1 << 40, UInt64.max, UInt64(Int.max)] where width == 8 || value <= UInt64(UInt32.max) {
                    var s = base
                    s.put(value, at: offset, bytes: width)
                    #expect(Bool(s.refused()), "\(scheme): field at \(offset) = \(value) accepted")
                }
            }
            var s = base
            s.put(UInt64(base.matrix.storedCount + 1), at: 24, bytes: 8)
            #expect(Bool(s.refused()), "\(scheme): a value count one too large accepted")
        }
    }

    @Test func rowPointersMustStartAtZeroRiseAndEndAtTheCount() throws {
        for scheme in [SparseScheme.csr(values: .int8), .bitmask(values: .int8), .csr(values: .f32, indexBytes: 4)] {
            let base = try Sample(scheme)
            let rp = base.sections.rowPointers.lowerBound
            func pointer(_ r: Int) -> UInt64 { (0..<4).reduce(0) { $0 | UInt64(base.bytes[rp + 4 * r + $1]) << (8 * UInt64($1)) } }
            var s = base; s.put(1, at: rp, bytes: 4); #expect(Bool(s.refused(Self.isData)))                          // first ≠ 0
            s = base; s.put(pointer(2) + 1, at: rp + 4, bytes: 4); #expect(Bool(s.refused(Self.isData)))             // row 1 above row 2
            s = base; s.put(UInt64(UInt32.max), at: rp + 8, bytes: 4); #expect(Bool(s.refused(Self.isData)))         // overflowing
            s = base; s.put(pointer(6) - 1, at: rp + 24, bytes: 4); #expect(Bool(s.refused(Self.isData)))            // ends short
        }
    }

    @Test func csrColumnsMustBeInRangeAndIncreasing() throws {
        for width in [2, 4] {
            let base = try Sample(.csr(values: .int8, indexBytes: width))
            let idx = base.sections.positions.lowerBound
            func column(_ i: Int) -> UInt64 { (0..<width).reduce(0) { $0 | UInt64(base.bytes[idx + i * width + $1]) << (8 * UInt64($1)) } }
            var s = base; s.put(64, at: idx, bytes: width); #expect(Bool(s.refused(Self.isData)))                    // = cols
            s = base; s.put(UInt64(1) << (8 * UInt64(width)) - 1, at: idx, bytes: width); #expect(Bool(s.refused(Self.isData)))
            s = base; s.put(column(0), at: idx + width, bytes: width); #expect(Bool(s.refused(Self.isData)))        // duplicate
            s = base; s.put(column(1), at: idx, bytes: width); s.put(column(0), at: idx + width, bytes: width)
            #expect(Bool(s.refused(Self.isData)))                                                                    // unsorted
        }
    }

    @Test func bitmaskBitsMustMatchTheRowPointers() throws {
        let base = try Sample(.bitmask(values: .int8), cols: 96)
        let mask = base.sections.positions.lowerBound
        var s = base; s.bytes[mask] ^= 1; #expect(Bool(s.refused(Self.isData)))                      // one bit more or less
        s = base; s.bytes[mask + 8 + 4] |= 1; #expect(Bool(s.refused(Self.isData)))                  // column 96 of 96
    }

    @Test func nmIndicesMustIncreaseWithinAGroup() throws {
        for scheme in [SparseScheme.nm(2, 4, values: .int4), .nm(4, 8, values: .int8)] {
            let base = try Sample(scheme, cols: 576)
            let p = base.sections.positions.lowerBound
            // The first group's two (or four) indices made equal: all bits of their low planes, and of the 1-bit plane.
            var s = base
            for k in 0..<scheme.n { s.bytes[p + k] |= 3 }
            if scheme.m == 8 { s.bytes[p + 8] |= 0x0F }
            #expect(Bool(s.refused(Self.isData)))
            // Padding indices past a row's last kept value must be zero: 576 columns keep 288 = 9 sub-blocks, so no
            // padding; a row of 96 columns keeps 48 of 64 slots.
            let padded = try Sample(scheme, cols: 96)
            var t = padded
            let subBytes = 4 * scheme.indexBits
            t.bytes[padded.sections.positions.lowerBound + subBytes + (scheme.m == 4 ? 7 : 11)] |= 0x80
            #expect(Bool(t.refused(Self.isData)))
        }
    }

    @Test func scalesAndPaddingAreChecked() throws {
        let base = try Sample(.bitmask(values: .int4))
        var s = base; s.put(0x7C00, at: base.sections.scales.lowerBound, bytes: 2); #expect(Bool(s.refused(Self.isData)))  // +inf
        s = base; s.put(0x7E00, at: base.sections.scales.lowerBound, bytes: 2); #expect(Bool(s.refused(Self.isData)))      // NaN
        if base.matrix.storedCount % 32 != 0 {
            s = base; s.bytes[base.sections.values.upperBound - 1] |= 0x80; #expect(Bool(s.refused(Self.isData)))         // pad nibble
        }
        if base.sections.values.lowerBound > base.sections.positions.upperBound {
            s = base; s.bytes[base.sections.positions.upperBound] = 1; #expect(Bool(s.refused(Self.isData)))               // gap
        }
    }

    /// Random corruption of valid encodings: refused, or accepted and then decoded and multiplied without a fault.
    @Test func randomCorruptionNeverFaults() throws {
        var rng = SeededRandom(seed: 42)
        var accepted = 0
        for (k, scheme) in sparseTestSchemes.enumerated() {
            let base = try Sample(scheme, rows: 4, cols: 64, seed: UInt64(k))
            for _ in 0..<60 {
                var bytes = base.bytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                guard let m = try? SparseMatrix(validating: bytes) else { continue }
                accepted += 1
                let x = (0..<(2 * m.cols)).map { _ in Float.random(in: -1...1, using: &rng) }
                _ = m.decodeDense()
                _ = m.referenceProduct(x, tokens: 2)
                _ = m.product(x, tokens: 2)
            }
        }
        #expect(accepted > 0)  // value bytes are free, so some corruptions stay valid and run
    }
}
