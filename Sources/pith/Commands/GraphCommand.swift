import ArgumentParser
import Foundation
import PithFormats
import PithGraph
import PithModels

/// `pith graph`: the model structure as a file of its own (docs/REPRESENTATION.md).
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph",
        abstract: "Export a model's structure (graphs, no weights) as JSON, or check such a file.",
        subcommands: [Export.self, Check.self])

    /// `pith graph export <model> -o file.graph.json`
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the model structure as versioned JSON (weights stay in the model file).")

        @OptionGroup var options: ModelOptions
        @Option(name: .shortAndLong, help: "The file to write (e.g. model.graph.json), or - for stdout.")
        var output: String

        func run() throws {
            try requireDistinct(output, from: [options.model, options.structure])
            let model = try options.load()
            let data = try reportingErrors { try RepresentationCodec().export(model.structure) }
            if output == "-" {
                FileHandle.standardOutput.write(data)
                return
            }
            try reportingErrors { try AtomicFileWriter.write(data, to: URL(fileURLWithPath: output)) }
            print("\(output): \(model.structure.summary), \(data.count) bytes", to: &standardError)
        }
    }

    /// `pith graph check file.graph.json [--weights <model>]`
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read and validate a graph file; print a one-line summary, or the fault and exit 1.")

        @Argument(help: "The graph file (from `pith graph export`).") var file: String
        @Option(help: "Also check that this model's weights hold every parameter the graph names, at the right size.")
        var weights: String?
        @Flag(help: "Print the summary as JSON.") var json = false

        func run() throws {
            let structure = try reportingErrors { try RepresentationCodec().import(contentsOf: URL(fileURLWithPath: file)) }
            if let weights {
                _ = try reportingErrors { try Model.load(weights).replacingStructure(with: structure) }
            }
            if json {
                try printJSON(structure.summary)
            } else {
                print("\(file): valid, \(structure.summary)\(weights.map { ", weights in \($0) match" } ?? "")")
            }
        }
    }
}
