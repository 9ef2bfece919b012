import Foundation
import PithFormats
import Testing
@testable import PithTokenizers

/// Encode throughput on the Python tutorial sources (~150 KB of prose, code and reST markup).
///
/// Prints MB/s; meaningful in release (`swift test -c release --filter EncodeSpeed`). Set
/// `PITH_TOKENIZER_IDS_OUT=path` to also write the ids, for a whole-corpus check against llama-tokenize.
@Suite(.enabled(if: SmolLM2.isPresent && TutorialCorpus.isPresent, "needs the SmolLM2 GGUF and python3.11-doc"))
struct EncodeSpeedTests {
    @Test func encodeThroughput() throws {
        let tokenizer = try BPETokenizer(gguf: GGUFFile(url: SmolLM2.url))
        let text = try TutorialCorpus.text()
        let megabytes = Double(text.utf8.count) / 1_000_000
        var ids: [Int32] = []
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            ids = tokenizer.encode(text, addSpecialTokens: false, parseSpecialTokens: true)
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        print("encode: \(text.utf8.count) bytes → \(ids.count) tokens, best of 3 \(String(format: "%.1f", best * 1000)) ms, "
              + "\(String(format: "%.2f", megabytes / best)) MB/s")
        #expect(tokenizer.decode(ids) == text)
        if let out = ProcessInfo.processInfo.environment["PITH_TOKENIZER_IDS_OUT"] {
            try Data(ids.map(String.init).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: out))
            try Data(text.utf8).write(to: URL(fileURLWithPath: out + ".txt"))
        }
    }
}

/// The Python tutorial's reST sources, shipped by the python3.11-doc package.
enum TutorialCorpus {
    static let corpus = URL(fileURLWithPath: "/usr/share/doc/python3.11/html/_sources/tutorial")
    static var isPresent: Bool { FileManager.default.fileExists(atPath: corpus.path) }

    static func text() throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".rst.txt") }.sorted()
        return try names.map { try String(contentsOf: corpus.appendingPathComponent($0), encoding: .utf8) }.joined()
    }
}
