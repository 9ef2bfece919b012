import Foundation
import Testing
import PithFormats
import PithTensor
@testable import PithPackaging

/// Throughput of the coders on the default model. Meaningful in release only:
/// `PITH_CODING_BENCH=1 swift test -c release --filter CodingBenchmark`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["PITH_CODING_BENCH"] != nil
    && FileManager.default.fileExists(atPath: CodingModelTests.path)))
struct CodingBenchmarkTests {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Best of `runs`, to see past other work on a shared machine.
    private func best(_ runs: Int = 3, _ body: () throws -> Void) rethrows -> Double {
        var t = Double.infinity
        for _ in 0..<runs { t = min(t, try seconds(body)) }
        return t
    }

    private func mbps(_ bytes: Int, _ s: Double) -> String { String(format: "%7.1f MB/s", Double(bytes) / s / 1e6) }

    @Test func tensorCoderThroughput() throws {
        let gguf = try GGUFFile(url: URL(fileURLWithPath: CodingModelTests.path))
        for typeName in ["Q4_1", "Q8_0", "all"] {
            let infos = gguf.tensors.filter { typeName == "all" || $0.type.name == typeName }
            let slices = infos.map { gguf.file.slice(offset: $0.offset, count: $0.byteCount)! }
            let plain = slices.map(\.count).reduce(0, +)
            for (parallel, chunk) in [(false, 256 << 10), (true, 256 << 10), (true, 1 << 20)] {
                let options = TensorCoder.Options(chunkBytes: chunk, parallel: parallel)
                var coded: [[UInt8]] = []
                let enc = try best {
                    coded = try zip(infos, slices).map { try TensorCoder.encode($1, type: $0.type, options: options) }
                }
                var out = [UInt8](repeating: 0, count: slices.map(\.count).max()!)
                let dec = try best {
                    for (i, c) in coded.enumerated() {
                        try c.withUnsafeBytes { c in
                            try out.withUnsafeMutableBytes {
                                try TensorCoder.decode(c, type: infos[i].type,
                                                       into: UnsafeMutableRawBufferPointer(rebasing: $0[..<slices[i].count]), parallel: parallel)
                            }
                        }
                    }
                }
                print("BENCH tensor coder \(typeName) (\(plain) bytes, \(parallel ? "all cores" : "1 thread"), chunks of \(chunk >> 10) KiB): "
                      + "encode \(mbps(plain, enc))  decode \(mbps(plain, dec))  coded \(coded.map(\.count).reduce(0, +))")
            }
        }
    }

    @Test func ransKernelThroughput() throws {
        // The quant stream of the embedding table (Q8_0, 28 MB of int8 quants), one thread, no gather/scatter.
        let gguf = try GGUFFile(url: URL(fileURLWithPath: CodingModelTests.path))
        let info = gguf.tensors.first { $0.type == .q8_0 }!
        let blocks = gguf.file.slice(offset: info.offset, count: info.byteCount)!
        let n = info.byteCount / 34
        var quants = [UInt8](repeating: 0, count: n * 32)
        for b in 0..<n { for j in 0..<32 { quants[b * 32 + j] = blocks[b * 34 + 2 + j] } }
        var counts = [UInt64](repeating: 0, count: 256)
        quants.withUnsafeBytes { Histogram.add($0, to: &counts) }
        let table = FrequencyTable.best(for: counts)!
        let enc = RANS.EncoderTable(table), dec = RANS.DecoderTable(table)
        var coded: [UInt8] = []
        let te = best { coded = quants.withUnsafeBytes { RANS.encode($0, with: enc) } }
        var out = [UInt8](repeating: 0, count: quants.count)
        let td = try best {
            try coded.withUnsafeBytes { c in
                try out.withUnsafeMutableBufferPointer { try RANS.decode(c, count: quants.count, into: $0.baseAddress!, with: dec, label: "bench") }
            }
        }
        #expect(out == quants)
        print("BENCH rANS kernel, one stream of \(quants.count) int8 quants → \(coded.count): encode \(mbps(quants.count, te))  decode \(mbps(quants.count, td))")
    }

    @Test func zstdLevels() throws {
        // Weights (the whole GGUF, ~98 MB) and text (its metadata: vocabulary and merges).
        let gguf = try GGUFFile(url: URL(fileURLWithPath: CodingModelTests.path))
        let file = gguf.file.bytes
        let text = UnsafeRawBufferPointer(rebasing: file[..<gguf.dataOffset])
        for (name, data, levels) in [("metadata", text, [1, 3, 6, 9, 12, 15, 19]), ("whole file", file, [1, 3, 9])] {
            for level in levels {
                var z: [UInt8] = []
                let t = try best(1) { z = try Zstd.compress(data, level: level) }
                let d = try best(1) { _ = try z.withUnsafeBytes { try Zstd.decompress($0, expectedSize: data.count) } }
                print("BENCH zstd \(name) (\(data.count) bytes) level \(level): \(z.count) bytes "
                      + String(format: "(%.1f%%)", 100 * Double(z.count) / Double(data.count))
                      + "  compress \(mbps(data.count, t))  decompress \(mbps(data.count, d))")
            }
        }
    }
}
