import ArgumentParser
import Foundation
import PithCompress

/// `pith prune`: a model's linear layers pruned by one method (magnitude, wanda, sparsegpt), written as a package
/// whose pruned weights are exact zeros in a dense encoding.
struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prune a model's linear layers (magnitude, wanda, sparsegpt), unstructured or N:M, to a package.",
        discussion: """
        Every linear layer but the output head is a target (--include-head takes it too). wanda and sparsegpt run the \
        model block by block over --samples windows of --seq-len tokens of --calib, each block seeing the pruned blocks \
        before it. Pruned weights are stored as exact zeros in f32 (sparsegpt --bits B: in B-bit codes with an exact \
        zero); `pith quantize` on the result keeps them zero.
        """)

    @OptionGroup var options: ModelOptions
    @Option(help: "Method: \(PassRegistry.pruning.names.joined(separator: ", ")).") var method: String
    @Option(help: "Fraction of each layer's weights to prune, in [0, 1) (default 0.5; an N:M pattern implies 1 − N/M).") var sparsity: Double?
    @Option(help: "Semi-structured N:M: at most N non-zero weights in every M consecutive weights of a row (2:4, 4:8).") var pattern: String?
    @Option(help: "magnitude: compare magnitudes over each 'layer' (default) or each 'row'.") var scope: String?
    @Option(help: "sparsegpt: dampening added to the Hessian's diagonal, as a fraction of its mean (0.01).") var dampening: Double?
    @Option(help: "sparsegpt: columns per block; the mask is chosen per block (128).") var blockSize: Int?
    @Option(help: "sparsegpt: also quantize the kept weights to this many bits in the same sweep.") var bits: Int?
    @Option(help: "sparsegpt --bits: weights sharing a scale along a row (0: one per row).") var groupSize: Int?
    @Flag(name: .customLong("sym"), inversion: .prefixedNo, help: "sparsegpt --bits: symmetric scales.") var symmetric: Bool?
    @Flag(help: "Prune the output head as well (for a tied head, the embedding table with it).") var includeHead = false
    @Option(parsing: .singleValue, help: "Leave layers matching this pattern alone (exact name, glob, or re:REGEX; repeatable).") var ignore: [String] = []
    @OptionGroup var calibration: CalibrationOptions
    @Option(name: .shortAndLong, help: "The package to write (.pith).") var output: String
    @Option(help: "JSON with managementinfo / technicalinfo fields for the package (as pith pack --meta).") var meta: String?
    @Flag(help: "Print each layer on stderr as it is done (default when stderr is a terminal).") var progress = false
    @Flag(help: "Print the report as JSON on stdout.") var json = false

    func run() throws {
        try requireDistinct(output, from: [options.model, calibration.calib, meta, options.structure])
        let recipe = try reportingErrors { try buildRecipe() }
        let model = try options.load()
        let clock = ContinuousClock.now
        let (_, report, fileSize) = try compress(model, recipe: recipe, registry: .pruning, calibration: calibration, meta: meta,
                                                 output: output, verbose: progress || Progress.enabled)
        let seconds = (ContinuousClock.now - clock).seconds
        if json { return try printJSON(report) }
        Self.printTable(report)
        let elements = report.layers.reduce(0) { $0 + $1.elements }
        let zeros = report.layers.reduce(0.0) { $0 + ($1.sparsity ?? 0) * Double($1.elements) }
        print(String(format: "%d layers, %@ weights, %.2f%% of them zero; wrote %@ (%@) in %.1f s", report.layers.count,
                     Format.count(elements), 100 * zeros / Double(max(elements, 1)), output, Format.bytes(fileSize), seconds))
        if let c = report.calibration { print(calibration.summary(c)) }
        for (layer, why) in report.skipped.sorted(by: { $0.key < $1.key }) { print("skipped \(layer): \(why)") }
    }

    /// The one-stage recipe the flags describe; impossible requests fail here in one line.
    func buildRecipe() throws -> Recipe {
        guard let type = PassRegistry.pruning.type(named: method) else {
            throw RecipeError("--method: unknown method '\(method)' (known: \(PassRegistry.pruning.names.joined(separator: ", ")))")
        }
        let target = try SparsityTarget(sparsity: sparsity ?? 0.5, pattern: pattern ?? "")
        if let sparsity, case .nOfM = target.pattern, abs(sparsity - target.sparsity) > 1e-9 {
            throw RecipeError("--sparsity \(sparsity) contradicts --pattern \(pattern ?? ""), which prunes \(target.sparsity)")
        }
        var flags: [String: ParameterValue] = ["sparsity": .double(target.sparsity)]
        if let pattern { flags["pattern"] = .string(pattern) }
        if let scope { flags["scope"] = .string(scope) }
        if let dampening { flags["dampening"] = .double(dampening) }
        if let blockSize { flags["block_size"] = .int(blockSize) }
        if let bits { flags["bits"] = .int(bits) }
        if let groupSize { flags["group_size"] = .int(groupSize) }
        if let symmetric { flags["symmetric"] = .bool(symmetric) }
        return try Recipe.fromFlags(method: type.name, flags: flags, ignore: ignore + (includeHead ? [] : ["output"]),
                                    registry: .pruning)
    }

    static func printTable(_ report: QuantizationReport) {
        print(Format.pad("layer", 22), Format.pad("method", 10), Format.pad("pattern", 16), Format.pad("stored", 16),
              "sparsity".leftPad(9), "error".leftPad(10), "kind".leftPad(7), "loss".leftPad(10), "s".leftPad(7))
        for r in report.layers {
            print(Format.pad(r.layer, 22), Format.pad(r.method, 10), Format.pad(r.pattern ?? "-", 16), Format.pad(r.scheme, 16),
                  (r.sparsity.map { String(format: "%.4f", $0) } ?? "-").leftPad(9), String(format: "%.3e", r.error).leftPad(10),
                  r.errorKind.leftPad(7), (r.loss.map { String(format: "%.3e", $0) } ?? "-").leftPad(10),
                  String(format: "%.2f", r.seconds).leftPad(7))
        }
    }
}
