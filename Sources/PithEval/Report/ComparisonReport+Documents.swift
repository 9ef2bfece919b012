import Foundation
import PithFormats

/// The document formats `pith report` writes, chosen by the output's extension.
public enum ReportFormat: String, Sendable {
    case markdown
    case html

    /// The format for a file name (`.md`, `.markdown`, `.html`, `.htm`); nil for another extension.
    public init?(path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        default: return nil
        }
    }
}

extension ComparisonReport {
    /// A Markdown document: settings, the table of all rows (base first), and an image link to `plotFile`.
    public func markdown(plotFile: String?, plot: ScatterPlot? = nil) -> String {
        let columns = ReportColumn.all
        var s = "# Model comparison\n\n"
        s += "Text `\(text.replacingOccurrences(of: "`", with: "'"))`, context \(context), \(chunks) chunks. "
        s += "Perplexity as llama.cpp's `llama-perplexity`; KL(P_base ‖ P_model) per scored token, in nats.\n\n"
        s += "| " + columns.map { Markup.markdownCell($0.title) }.joined(separator: " | ") + " |\n"
        s += "|" + columns.map { $0.numeric ? "---:" : ":---" }.joined(separator: "|") + "|\n"
        for row in allRows {
            s += "| " + columns.map { Markup.markdownCell($0.cell(row)) }.joined(separator: " | ") + " |\n"
        }
        if let plotFile {
            let plot = plot ?? ScatterPlot(report: self)
            s += "\n![perplexity against \(plot.xAxis.title)](\(plotFile.replacingOccurrences(of: " ", with: "%20")))\n"
            if !plot.omitted.isEmpty {
                s += "\nNot plotted (no \(plot.xAxis.title)): \(plot.omitted.map(Markup.markdownCell).joined(separator: ", ")).\n"
            }
        }
        return s
    }

    /// A standalone HTML page: settings, the table of all rows (base first), and the scatter plot inline.
    public func html(plot: ScatterPlot? = nil) -> String {
        let columns = ReportColumn.all
        let plot = plot ?? ScatterPlot(report: self)
        var s = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Model comparison</title>
        <style>
        body { font-family: sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ccc; padding: 4px 8px; }
        th { background: #f2f2f2; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.base td { font-weight: bold; }
        </style>
        </head>
        <body>
        <h1>Model comparison</h1>

        """
        s += "<p>Text <code>\(Markup.escape(text))</code>, context \(context), \(chunks) chunks. "
        s += "Perplexity as llama.cpp's <code>llama-perplexity</code>; KL(P<sub>base</sub> ‖ P<sub>model</sub>) per scored token, in nats.</p>\n"
        s += "<table>\n<thead><tr>" + columns.map { "<th>\(Markup.escape($0.title))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (i, row) in allRows.enumerated() {
            s += i == 0 ? "<tr class=\"base\">" : "<tr>"
            s += columns.map { "<td\($0.numeric ? " class=\"num\"" : "")>\(Markup.escape($0.cell(row)))</td>" }.joined()
            s += "</tr>\n"
        }
        s += "</tbody>\n</table>\n<figure>\n" + plot.svg() + "</figure>\n"
        if !plot.omitted.isEmpty {
            s += "<p>Not plotted (no \(Markup.escape(plot.xAxis.title))): \(plot.omitted.map(Markup.escape).joined(separator: ", ")).</p>\n"
        }
        s += "</body>\n</html>\n"
        return s
    }

    /// Writes the document at `url` (format from its extension) atomically; Markdown gets its plot as a `.svg` file
    /// of the same name beside it. Returns the files written.
    @discardableResult
    public func writeDocument(to url: URL, xAxis: ScatterPlot.XAxis? = nil) throws -> [URL] {
        guard let format = ReportFormat(path: url.path) else {
            throw EvaluationError("\(url.path): write .md or .html (the extension picks the format)")
        }
        let plot = ScatterPlot(report: self, xAxis: xAxis)
        switch format {
        case .html:
            try AtomicFileWriter.write(Data(html(plot: plot).utf8), to: url)
            return [url]
        case .markdown:
            let svgURL = url.deletingPathExtension().appendingPathExtension("svg")
            try AtomicFileWriter.write(Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + plot.svg()).utf8), to: svgURL)
            try AtomicFileWriter.write(Data(markdown(plotFile: svgURL.lastPathComponent, plot: plot).utf8), to: url)
            return [url, svgURL]
        }
    }
}
