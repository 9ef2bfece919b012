import CZstd
import Foundation
import Testing
@testable import PithPackaging

@Suite struct CodingZstdTests {
    private let text = Array(String(repeating: "{\"token\": \"hello\", \"id\": 42}, ", count: 2000).utf8)

    @Test func roundTripsArraysDataAndEmpty() throws {
        let z = try Zstd.compress(text)
        #expect(z.count < text.count / 20)
        #expect(try Zstd.decompress(z, expectedSize: text.count) == text)
        #expect(try Zstd.decompress(Data(z), expectedSize: text.count) == text)
        #expect(try Zstd.compress(Data(text), level: 1) .count > 0)
        let empty = try Zstd.compress([UInt8]())
        #expect(try Zstd.decompress(empty, expectedSize: 0) == [])
    }

    @Test func largeInputUsesWorkersAndRoundTrips() throws {
        var rng = CodingRandom(seed: 11)
        let noise = rng.bytes(1 << 16)
        let big = (0..<(6 << 20)).map { i in i % 3 == 0 ? noise[i & 0xFFFF] : UInt8(truncatingIfNeeded: i >> 12) }
        let z = try Zstd.compress(big, level: 3)
        #expect(try Zstd.decompress(z, expectedSize: big.count) == big)
        // Any worker count ≥ 1 gives the same frame (reproducible packages).
        #expect(try Zstd.compress(big, level: 3, workers: 1) == z || !Zstd.isMultithreaded)
    }

    @Test func debianLibraryHasWorkerThreads() {
        #expect(Zstd.isMultithreaded, "libzstd \(Zstd.libraryVersion) without ZSTD_MULTITHREAD")
    }

    @Test func sizeDisagreementsThrow() throws {
        let z = try Zstd.compress(text)
        for wrong in [0, text.count - 1, text.count + 1, 1 << 40] {
            #expect(throws: CodingError.self) { try Zstd.decompress(z, expectedSize: wrong) }
        }
        #expect(throws: CodingError.self) { try Zstd.decompress(z, expectedSize: -1) }
    }

    @Test func framesWithoutAContentSizeAreBoundedByTheExpectedSize() throws {
        // A streaming frame that does not record its size: decoding must still stop at the expected size.
        let cctx = try #require(ZSTD_createCCtx())
        defer { ZSTD_freeCCtx(cctx) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(text.count))
        let n = text.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
                var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                _ = ZSTD_compressStream2(cctx, &output, &input, ZSTD_e_end)
                return output.pos
            }
        }
        let frame = Array(out[..<n])
        #expect(try Zstd.decompress(frame, expectedSize: text.count) == text)
        #expect(throws: CodingError.self) { try Zstd.decompress(frame, expectedSize: text.count - 1) }
        #expect(throws: CodingError.self) { try Zstd.decompress(frame, expectedSize: text.count + 1) }
    }

    @Test func truncatedCorruptAndTrailingBytesThrow() throws {
        let z = try Zstd.compress(text)
        for cut in 0..<z.count {
            #expect(throws: CodingError.self) { try Zstd.decompress(Array(z[..<cut]), expectedSize: text.count) }
        }
        #expect(throws: CodingError.self) { try Zstd.decompress(z + [0], expectedSize: text.count) }
        #expect(throws: CodingError.self) { try Zstd.decompress(Array("not zstd at all".utf8), expectedSize: 15) }
        // The frame checksum catches flips in the payload; a few header bits do not change the result
        // (e.g. the window size of a single-segment frame). Either way: an error or the exact original.
        var rng = CodingRandom(seed: 12)
        var caught = 0
        for _ in 0..<300 {
            var bad = z
            let bit = Int.random(in: 0..<(bad.count * 8), using: &rng)
            bad[bit / 8] ^= 1 << UInt8(bit % 8)
            do {
                let out = try Zstd.decompress(bad, expectedSize: text.count)
                #expect(out == text, "bit \(bit) changed the output without an error")
            } catch is CodingError {
                caught += 1
            }
        }
        #expect(caught > 280)
    }

    @Test func badLevelThrows() {
        #expect(throws: CodingError.self) { try Zstd.compress(text, level: 100) }
    }
}
