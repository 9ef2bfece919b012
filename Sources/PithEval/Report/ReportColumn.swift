import Foundation

/// A column of the comparison table, shared by the terminal table, Markdown and HTML: title, alignment, cell text.
struct ReportColumn: Sendable {
    let title: String
    /// Numbers align right.
    let numeric: Bool
    /// Shown in the terminal table too (long text columns are left to the documents).
    let inTerminal: Bool
    /// The cell's text; nil when the row has no value.
    let value: @Sendable (ComparisonRow) -> String?

    /// What an empty cell shows.
    static let missing = "—"

    func cell(_ row: ComparisonRow) -> String { value(row) ?? Self.missing }

    static let all: [ReportColumn] = [
        .init(title: "name", numeric: false, inTerminal: true) { $0.name },
        .init(title: "tool", numeric: false, inTerminal: true) { $0.tool },
        .init(title: "method", numeric: false, inTerminal: true) { $0.method },
        .init(title: "params", numeric: true, inTerminal: true) { $0.parameters.map(NumberFormat.count) },
        .init(title: "bits/w", numeric: true, inTerminal: true) { $0.bitsPerWeight.map { NumberFormat.fixed($0, 2) } },
        .init(title: "size", numeric: true, inTerminal: true) { $0.sizeBytes.map(NumberFormat.bytes) },
        .init(title: "ppl", numeric: true, inTerminal: true) { $0.perplexity.map { NumberFormat.fixed($0, 4) } },
        .init(title: "Δppl", numeric: true, inTerminal: true) { $0.perplexityDelta.map { NumberFormat.signed($0, 4) } },
        .init(title: "KL mean", numeric: true, inTerminal: true) { $0.klMean.map { NumberFormat.fixed($0, 6) } },
        .init(title: "KL p99", numeric: true, inTerminal: true) { $0.klP99.map { NumberFormat.fixed($0, 6) } },
        .init(title: "top-1", numeric: true, inTerminal: true) { $0.top1Agreement.map { NumberFormat.fixed($0 * 100, 2) + "%" } },
        .init(title: "quantize s", numeric: true, inTerminal: true) { $0.quantizeSeconds.map { NumberFormat.fixed($0, 1) } },
        .init(title: "prompt tok/s", numeric: true, inTerminal: true) { $0.promptTokensPerSecond.map { NumberFormat.fixed($0, 1) } },
        .init(title: "gen tok/s", numeric: true, inTerminal: true) { $0.generationTokensPerSecond.map { NumberFormat.fixed($0, 1) } },
        .init(title: "source", numeric: false, inTerminal: false) { $0.source },
        .init(title: "notes", numeric: false, inTerminal: false) { $0.notes },
    ]
}

/// Numbers as the reports print them.
enum NumberFormat {
    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    static func signed(_ x: Double, _ digits: Int) -> String { String(format: "%+.\(digits)f", x) }

    /// 134.52M, 1.20G …
    static func count(_ n: Int) -> String {
        let d = Double(n)
        if abs(d) >= 1e9 { return String(format: "%.2fG", d / 1e9) }
        if abs(d) >= 1e6 { return String(format: "%.2fM", d / 1e6) }
        if abs(d) >= 1e3 { return String(format: "%.1fk", d / 1e3) }
        return String(n)
    }

    /// 85.75 MiB, 1.02 GiB …
    static func bytes(_ n: Int) -> String {
        let d = Double(n)
        if d >= Double(1 << 30) { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if d >= Double(1 << 20) { return String(format: "%.2f MiB", d / Double(1 << 20)) }
        if d >= Double(1 << 10) { return String(format: "%.1f KiB", d / Double(1 << 10)) }
        return "\(n) B"
    }
}

extension ComparisonReport {
    /// The rows as a plain-text table for a terminal: base first, columns padded.
    public func table() -> String {
        let columns = ReportColumn.all.filter(\.inTerminal)
        let cells = [columns.map(\.title)] + allRows.map { row in columns.map { $0.cell(row) } }
        let widths = columns.indices.map { c in cells.map { $0[c].count }.max() ?? 0 }
        return cells.map { line in
            columns.indices.map { c in
                let text = line[c], pad = String(repeating: " ", count: widths[c] - text.count)
                return columns[c].numeric ? pad + text : text + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}
