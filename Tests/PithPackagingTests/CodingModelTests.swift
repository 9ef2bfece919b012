import Foundation
import Testing
import PithFormats
import PithTensor
@testable import PithPackaging

/// The default model, when it is on this machine: every tensor round-trips, and the gain is reported by type.
@Suite struct CodingModelTests {
    static let path = NSString(string: "~/.cache/pith/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").expandingTildeInPath

    /// Sizes of one group of tensors under each coding.
    struct Sizes {
        var tensors = 0, plain = 0, zstd = 0, coded = 0
        var streams: [Int: (plain: Int, coded: Int, methods: Set<String>)] = [:]

        func line(_ name: String) -> String {
            func pct(_ n: Int) -> String { String(format: "%5.1f%%", 100 * (1 - Double(n) / Double(max(plain, 1)))) }
            return "\(name.padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(format: "%4d", tensors)) tensors  "
                + "plain \(String(format: "%10d", plain))  zstd-\(Zstd.defaultLevel) \(String(format: "%10d", zstd)) (\(pct(zstd)))  "
                + "coded \(String(format: "%10d", coded)) (\(pct(coded)); \(String(format: "%.1f%%", 100 * (1 - Double(coded) / Double(max(zstd, 1))))) below zstd)"
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: path)))
    func smolLM2TensorsRoundTripAndShrink() throws {
        let gguf = try GGUFFile(url: URL(fileURLWithPath: Self.path))
        var byType: [String: Sizes] = [:], all = Sizes()
        for info in gguf.tensors {
            let bytes = try #require(gguf.file.slice(offset: info.offset, count: info.byteCount))
            let coded = try TensorCoder.encode(bytes, type: info.type)
            let decoded = try coded.withUnsafeBytes { try TensorCoder.decode($0, type: info.type, originalSize: bytes.count) }
            #expect(decoded.elementsEqual(bytes), "\(info.name)")
            let z = try Zstd.compress(bytes).count
            let header = try coded.withUnsafeBytes { try TensorCoder.readHeader($0, type: info.type, originalSize: bytes.count) }
            var sizes = byType[info.type.name] ?? Sizes()
            for s in [0, 1] {
                var t = s == 0 ? sizes : all
                t.tensors += 1; t.plain += bytes.count; t.zstd += z; t.coded += coded.count
                if s == 0 {
                    for (k, stream) in header.streams.enumerated() {
                        let codedBytes = stride(from: k, to: header.lengths.count, by: header.streams.count).map { header.lengths[$0] }.reduce(0, +)
                        let old = t.streams[k] ?? (0, 0, [])
                        t.streams[k] = (old.plain + header.totalBlocks * stream.spec.count, old.coded + codedBytes,
                                        old.methods.union(["\(stream.method)"]))
                    }
                    sizes = t
                } else {
                    all = t
                }
            }
            byType[info.type.name] = sizes
            // Never worse than plain by more than the header and length table.
            #expect(coded.count <= bytes.count + 64 + 8 * header.streams.count * (header.chunkCount + 1), "\(info.name)")
        }
        print("SmolLM2-135M-Instruct Q4_1, tensor data only:")
        for (name, sizes) in byType.sorted(by: { $0.key < $1.key }) {
            print("  " + sizes.line(name))
            let specs = StreamLayout.streams(for: GGMLType.allCases.first { $0.name == name }!)
            for (k, s) in sizes.streams.sorted(by: { $0.key < $1.key }) {
                print("      stream \(k) (bytes \(specs[k].start)+\(specs[k].stride)·i): \(s.plain) → \(s.coded) "
                      + String(format: "(%.1f%%)", 100 * (1 - Double(s.coded) / Double(max(s.plain, 1)))) + " \(s.methods.sorted())")
            }
        }
        print("  " + all.line("all"))
        // SmolLM2 measures 12 % on Q4_1 and 8 % on Q8_0 (scale bytes and quant histograms); insist on most of it.
        #expect(Double(byType["Q4_1"]!.coded) < 0.90 * Double(byType["Q4_1"]!.plain))
        #expect(Double(byType["Q8_0"]!.coded) < 0.94 * Double(byType["Q8_0"]!.plain))
        #expect(all.coded < all.zstd)
    }
}
