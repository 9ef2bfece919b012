import ArgumentParser
import Foundation
import PithEval

/// `pith report`: comparison reports rendered as Markdown or HTML, with a size–perplexity plot.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "Render comparison reports (from `pith compare -o`) as Markdown or HTML with a size–perplexity plot.",
        discussion: """
        Several inputs are combined: the first one's base and settings, then every input's rows. The output's extension
        picks the format: .html (the plot inline) or .md (the plot written beside it as a .svg of the same name).
        """)

    @Argument(help: "Comparison reports (JSON).") var inputs: [String]
    @Option(name: .shortAndLong, help: "The document to write: report.html or report.md.") var output: String
    @Option(help: "The plot's x axis: bits (bits per weight) or size (on disk); by default bits unless more rows have a size.")
    var xAxis: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one report") }
        guard ReportFormat(path: output) != nil else { throw ValidationError("--output: write .md or .html (the extension picks the format)") }
        if let xAxis, ScatterPlot.XAxis(rawValue: xAxis) == nil { throw ValidationError("--x-axis: bits or size, got '\(xAxis)'") }
    }

    func run() throws {
        let written = try reportingErrors {
            let reports = try inputs.map { try ComparisonReport.load(from: URL(fileURLWithPath: $0)) }
            guard let combined = ComparisonReport.combining(reports) else { throw ValidationError("give at least one report") }
            return try combined.writeDocument(to: URL(fileURLWithPath: output), xAxis: xAxis.flatMap(ScatterPlot.XAxis.init(rawValue:)))
        }
        print("wrote " + written.map(\.path).joined(separator: ", "))
    }
}
