import Foundation
import PithFormats

extension ComparisonReport {
    /// Pretty JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Writes the JSON to `url` whole or not at all.
    public func write(to url: URL) throws {
        var data = try jsonData()
        data.append(0x0A)
        try AtomicFileWriter.write(data, to: url)
    }

    /// Reads a report from `url`.
    public static func load(from url: URL) throws -> ComparisonReport {
        let data = try read(url)
        do {
            return try JSONDecoder().decode(ComparisonReport.self, from: data)
        } catch {
            throw EvaluationError("\(url.path): not a comparison report: \(describe(error))")
        }
    }

    /// Rows from `url`: a whole report (its base, then its rows), a JSON array of rows, or one row.
    public static func loadRows(from url: URL) throws -> [ComparisonRow] {
        let data = try read(url)
        let decoder = JSONDecoder()
        if let report = try? decoder.decode(ComparisonReport.self, from: data) { return report.allRows }
        if let rows = try? decoder.decode([ComparisonRow].self, from: data) { return rows }
        do {
            return [try decoder.decode(ComparisonRow.self, from: data)]
        } catch {
            throw EvaluationError("\(url.path): neither a comparison report, nor rows, nor one row: \(describe(error))")
        }
    }

    private static func read(_ url: URL) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw EvaluationError("\(url.path): cannot read file") }
        return data
    }

    /// One line for a decoding failure: which key, and why.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : "\(keys): "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))missing key '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return path(context) + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// Several reports as one: the first's text, context, chunks and base; then every report's rows, and the bases of
    /// the later reports where they differ from the first's (same name, tool, method and source count as the same).
    public static func combining(_ reports: [ComparisonReport]) -> ComparisonReport? {
        guard var combined = reports.first else { return nil }
        for report in reports.dropFirst() {
            let b = report.base, first = combined.base
            let sameBase = b.name == first.name && b.tool == first.tool && b.method == first.method && b.source == first.source
            if !sameBase { combined.rows.append(b) }
            combined.rows.append(contentsOf: report.rows)
        }
        return combined
    }
}
