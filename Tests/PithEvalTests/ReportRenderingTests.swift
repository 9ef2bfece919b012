import Foundation
import Testing
@testable import PithEval

/// Markdown, HTML and the SVG plot, on a hand-made report.
struct ReportRenderingTests {
    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func htmlEscapesNamesAndInlinesThePlot() {
        let html = ComparisonReportTests.sample().html()
        #expect(html.contains("q4 &lt;rtn&gt; &amp; &quot;co&quot;"))
        #expect(!html.contains("<rtn>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("</svg>"))
        // Base row first and marked.
        let base = html.range(of: "<tr class=\"base\"><td>f16</td>"), other = html.range(of: "<td>Q4_K_M</td>")
        #expect(base != nil && other != nil)
        if let base, let other { #expect(base.lowerBound < other.lowerBound) }
    }

    @Test func plotHasOnePointPerRowWithAFinitePerplexity() {
        let report = ComparisonReportTests.sample()
        let plot = ScatterPlot(report: report)
        #expect(plot.xAxis == .bitsPerWeight)
        let finite = report.allRows.filter { $0.perplexity?.isFinite == true }.count
        #expect(finite == 3)
        #expect(plot.points.count == finite)
        let svg = plot.svg()
        #expect(Self.count("class=\"point\"", in: svg) == finite)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("q4 &lt;rtn&gt; &amp; &quot;co&quot;"))
        // Colours by tool: pith and llama.cpp each in the legend.
        #expect(plot.toolColours.map(\.tool) == ["pith", "llama.cpp"])
        #expect(plot.points.first?.isBase == true)
    }

    @Test func plotBySizeLeavesOutRowsWithoutOne() {
        let plot = ScatterPlot(report: ComparisonReportTests.sample(), xAxis: .size)
        #expect(plot.points.map(\.label) == ["f16", "q4 <rtn> & \"co\""])
        #expect(plot.omitted == ["Q4_K_M"])
        #expect(Self.count("class=\"point\"", in: plot.svg()) == 2)
    }

    @Test func plotOfASinglePointStillHasAnAxis() {
        var report = ComparisonReportTests.sample()
        report.rows = []
        let svg = ScatterPlot(report: report).svg()
        #expect(Self.count("class=\"point\"", in: svg) == 1)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test func markdownTableHasAHeaderASeparatorAndOneLinePerRow() {
        let report = ComparisonReportTests.sample()
        let md = report.markdown(plotFile: "report.svg")
        let tableLines = md.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(tableLines.count == 2 + report.allRows.count)
        #expect(tableLines[2].hasPrefix("| f16 |"))
        #expect(md.contains("a \\| b"))  // a pipe in a cell does not split it
        #expect(md.contains("](report.svg)"))
        // Every line of the table has as many cells as the header.
        let cells = { (line: Substring) in line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count }
        #expect(Set(tableLines.map(cells)).count == 1)
    }

    @Test func documentsAreWrittenByExtension() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pith-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = ComparisonReportTests.sample()
        let md = try report.writeDocument(to: dir.appendingPathComponent("report.md"))
        #expect(md.map(\.lastPathComponent) == ["report.md", "report.svg"])
        let svg = try String(contentsOf: dir.appendingPathComponent("report.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("<svg"))
        let html = try report.writeDocument(to: dir.appendingPathComponent("report.html"))
        #expect(html.map(\.lastPathComponent) == ["report.html"])
        #expect(throws: EvaluationError.self) { try report.writeDocument(to: dir.appendingPathComponent("report.pdf")) }
        // Only the three documents: no temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["report.html", "report.md", "report.svg"])
    }

    @Test func axisTicksAreRoundAndCoverTheValues() {
        let axis = Axis(values: [4.5, 8, 16])
        #expect(axis.low <= 4.5 && axis.high >= 16)
        #expect([1.0, 2, 5].contains(axis.step / pow(10, log10(axis.step).rounded(.down))))
        #expect(axis.ticks.count >= 3 && axis.ticks.count <= 12)
    }
}
