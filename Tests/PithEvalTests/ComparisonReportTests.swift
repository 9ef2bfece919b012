import Foundation
import Testing
@testable import PithEval

/// The shared row schema: exact keys, nulls written, missing optionals accepted, round-trips.
struct ComparisonReportTests {
    static func sample() -> ComparisonReport {
        ComparisonReport(
            text: "/data/python-tutorial.txt", context: 512, chunks: 4,
            base: ComparisonRow(name: "f16", method: "base", source: "/m/base.gguf", parameters: 134_515_008,
                                bitsPerWeight: 16, sizeBytes: 270_000_000, perplexity: 10.2, perplexityDelta: 0,
                                promptTokensPerSecond: 140, generationTokensPerSecond: 20),
            rows: [
                ComparisonRow(name: "q4 <rtn> & \"co\"", method: "rtn", source: "/m/q4.pith", parameters: 134_515_008,
                              bitsPerWeight: 4.5, sizeBytes: 80_000_000, perplexity: 11.0, perplexityDelta: 0.8,
                              klMean: 0.05, klP99: 0.6, top1Agreement: 0.91, quantizeSeconds: 12.5, notes: "a | b"),
                ComparisonRow(name: "Q4_K_M", tool: "llama.cpp", method: "Q4_K_M", source: "/m/q4km.gguf",
                              bitsPerWeight: 4.9, perplexity: 10.7, klMean: 0.03),
                ComparisonRow(name: "broken", method: "fp8", source: "/m/fp8.pith", bitsPerWeight: 8),
            ])
    }

    static let schemaKeys: Set<String> = [
        "name", "tool", "method", "source", "parameters", "bits_per_weight", "size_bytes", "perplexity", "perplexity_delta",
        "kl_mean", "kl_p99", "top1_agreement", "quantize_seconds", "prompt_tokens_per_second",
        "generation_tokens_per_second", "notes",
    ]

    @Test func jsonRoundTripsAndWritesEveryKey() throws {
        let report = Self.sample()
        let data = try report.jsonData()
        #expect(try JSONDecoder().decode(ComparisonReport.self, from: data) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["text", "context", "chunks", "base", "rows"])
        let rows = try #require(object["rows"] as? [[String: Any]])
        for row in rows { #expect(Set(row.keys) == Self.schemaKeys) }
        #expect(rows[2]["perplexity"] is NSNull)
    }

    @Test func rowsFromOtherToolsMayOmitOptionalKeys() throws {
        let json = #"[{"name": "Q8_0", "tool": "llama.cpp", "method": "Q8_0", "source": "q8.gguf", "perplexity": 10.3, "size_bytes": 144000000}]"#
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-eval-rows-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let rows = try ComparisonReport.loadRows(from: url)
        #expect(rows.count == 1)
        #expect(rows[0].perplexity == 10.3 && rows[0].sizeBytes == 144_000_000 && rows[0].klMean == nil)

        // A whole report gives its base and then its rows.
        try Self.sample().write(to: url)
        #expect(try ComparisonReport.loadRows(from: url).map(\.name) == Self.sample().allRows.map(\.name))
    }

    @Test func aRowWithoutARequiredKeyIsRejectedNamingIt() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-eval-bad-\(UUID().uuidString).json")
        try Data(#"{"name": "x", "tool": "pith", "source": "s"}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = try #require(throws: EvaluationError.self) { try ComparisonReport.loadRows(from: url) }
        #expect(error.description.contains("method"))
    }

    @Test func combiningKeepsTheFirstBaseAndAddsOtherBases() throws {
        var second = Self.sample()
        second.base.name = "other base"
        second.rows = [second.rows[1]]
        let combined = try #require(ComparisonReport.combining([Self.sample(), Self.sample(), second]))
        #expect(combined.base == Self.sample().base)
        // The repeated base is not repeated; a different one becomes a row.
        #expect(combined.rows.count == 3 + 3 + 1 + 1)
        #expect(combined.rows.contains { $0.name == "other base" })
    }
}
