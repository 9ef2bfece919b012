import ArgumentParser

/// `pith`: represent, compress, package and run transformer models on the CPU.
@main
struct Pith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pith",
        abstract: "Represent, compress, package and run large pretrained transformer models on the CPU (GB/T 42382.2).",
        subcommands: [Generate.self, PerplexityCommand.self, Tokenize.self, Embed.self, Similarity.self, Inspect.self, GraphCommand.self,
                      Quantize.self, Prune.self, Pack.self, Unpack.self, Verify.self, Keygen.self, Delta.self, Patch.self, Bench.self, Compare.self,
                      ReportCommand.self])
}
