import ArgumentParser
import Foundation
import PithCompress
import PithModels
import PithPackaging

/// `pith quantize`: a model through a recipe of compression passes (or the one-stage recipe its flags describe),
/// written as a package (and optionally as GGUF).
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a model's linear layers (rtn, gptq, awq, smoothquant, w8a8, llm-int8, nf4, fp4, fp8) by flags or a YAML recipe.",
        discussion: """
        Every linear layer is a target by default, the output head included (for a tied head the embedding table is \
        quantized with it); --ignore output keeps it. Passes that need calibration (gptq, awq, smoothquant) run the \
        model block by block over --samples windows of --seq-len tokens of --calib, or with --calib-lines over its \
        first --samples lines, one sample each (sentences, for an embedding model).
        """)

    @OptionGroup var options: ModelOptions
    @Option(help: "Method: \(PassRegistry.standard.names.joined(separator: ", ")).") var method: String?
    @Option(help: "A YAML recipe (stages of passes with targets, ignore, parameters, overrides) instead of --method.") var recipe: String?
    @Option(help: "Bits per weight code.") var bits: Int?
    @Option(help: "Weights sharing a scale along a row (0: one per row; nf4/fp4: the block size).") var groupSize: Int?
    @Flag(name: .customLong("sym"), inversion: .prefixedNo, help: "Symmetric scales (no minimum stored).") var symmetric: Bool?
    @Flag(inversion: .prefixedNo, help: "Search a clipping range per group.") var clip: Bool?
    @Flag(inversion: .prefixedNo, help: "Double quantization: int group scales (and minimums) as 6-bit codes against an f16 scale per super-block of up to 256 values (K-quant style: int4 g32 asym costs ~4.5 bits/weight, not 5.0); nf4/fp4 absmax as 8 bits (their default).") var doubleQuant: Bool?
    @Flag(inversion: .prefixedNo, help: "GPTQ: quantize columns in order of decreasing activation energy.") var actOrder: Bool?
    @Option(help: "GPTQ: dampening added to the Hessian's diagonal, as a fraction of its mean.") var dampening: Double?
    @Flag(inversion: .prefixedNo, help: "GPTQ: fit each layer to the float model's outputs, running the float model beside the quantized one during calibration (GPTAQ's asymmetric calibration).") var floatTargets: Bool?
    @Flag(inversion: .prefixedNo, help: "GPTQ: capture each linear's input after the linears before it in its block are quantized (implied by --float-targets).") var trueSequential: Bool?
    @Flag(inversion: .prefixedNo, help: "GPTQ: for layers with a bias, fit the centred inputs and let the bias absorb the mean output error (default on).") var biasCorrection: Bool?
    @Option(help: "SmoothQuant: migration strength α in [0, 1].") var alpha: Double?
    @Option(help: "llm-int8: |x| above which an input column is multiplied in f32 instead of int8.") var threshold: Double?
    @Option(parsing: .singleValue, help: "Leave layers matching this pattern alone (exact name, glob, or re:REGEX; repeatable).") var ignore: [String] = []
    @OptionGroup var calibration: CalibrationOptions
    @Option(name: .shortAndLong, help: "The package to write (.pith).") var output: String
    @Option(help: "Also write the quantized model as a GGUF file (encodings GGUF has are written byte for byte).") var exportGguf: String?
    @Option(help: "--export-gguf: store weights in an encoding GGUF lacks (e.g. groups of 128) re-blocked exactly (lossless: int schemes as Q4_0/Q4_1/Q5_0/Q5_1/Q8_0) or dequantized (f16, f32) instead of refusing.") var ggufFallback: String?
    @Option(help: "JSON with managementinfo / technicalinfo fields for the package (as pith pack --meta).") var meta: String?
    @Flag(help: "Print each layer on stderr as it is done (default when stderr is a terminal).") var progress = false
    @Flag(help: "Print the report as JSON on stdout.") var json = false

    func validate() throws {
        guard (method == nil) != (recipe == nil) else { throw ValidationError("give --method or --recipe (one of them)") }
        let methodFlags = bits != nil || groupSize != nil || symmetric != nil || clip != nil || doubleQuant != nil || actOrder != nil
            || dampening != nil || floatTargets != nil || biasCorrection != nil || trueSequential != nil || alpha != nil || threshold != nil || !ignore.isEmpty
        if recipe != nil && methodFlags {
            throw ValidationError("--bits, --group-size, --sym, --clip, --double-quant, --act-order, --dampening, --float-targets, --true-sequential, --bias-correction, --alpha, --threshold and --ignore go with --method; a recipe sets its own")
        }
    }

    func run() throws {
        for (path, flag) in [(output, "-o"), (exportGguf, "--export-gguf")] {
            try requireDistinct(path, from: [options.model, calibration.calib, meta, self.recipe, options.structure], flag: flag)
        }
        try requireDistinct(exportGguf, from: [output], flag: "--export-gguf")
        let recipe = try reportingErrors { try buildRecipe() }
        let model = try options.load()
        let clock = ContinuousClock.now
        let (quantized, report, fileSize) = try compress(model, recipe: recipe, calibration: calibration, meta: meta, output: output,
                                                         verbose: progress || Progress.enabled)
        if let exportGguf {
            try reportingErrors {
                let fallback = try ggufFallback.map { name in
                    guard let f = GGUFExporter.Fallback(rawValue: name) else { throw QuantizationError("--gguf-fallback: '\(name)' is not lossless, f16 or f32") }
                    return f
                }
                do {
                    try GGUFExporter.export(model: quantized, to: URL(fileURLWithPath: exportGguf), fallback: fallback)
                } catch where fallback == nil {
                    throw QuantizationError("\(error) (--gguf-fallback lossless, f16 or f32; the package \(output) is written)")
                }
            }
        }
        let seconds = (ContinuousClock.now - clock).seconds
        if json { return try printJSON(report) }
        Self.printTable(report)
        let t = report.totals
        print(String(format: "%d layers, %@ weights at %.3f bits/weight; model weights %@ → %@; %@ %@ (%@) in %.1f s",
                     t.layers, Format.count(t.elements), t.bitsPerWeight, Format.bytes(t.modelBytesBefore), Format.bytes(t.modelBytesAfter),
                     "wrote", output, Format.bytes(fileSize), seconds))
        if let c = report.calibration { print(self.calibration.summary(c)) }
        for (layer, why) in report.skipped.sorted(by: { $0.key < $1.key }) { print("skipped \(layer): \(why)") }
        if let exportGguf { print("wrote \(exportGguf)") }
    }

    /// The recipe file, or the one-stage recipe the flags describe.
    func buildRecipe() throws -> Recipe {
        if let recipe { return try Recipe(contentsOf: URL(fileURLWithPath: recipe)) }
        var flags: [String: ParameterValue] = [:]
        if let bits { flags["bits"] = .int(bits) }
        if let groupSize { flags["group_size"] = .int(groupSize) }
        if let symmetric { flags["symmetric"] = .bool(symmetric) }
        if let clip { flags["clip"] = .bool(clip) }
        if let doubleQuant { flags["double_quantization"] = .bool(doubleQuant) }
        if let actOrder { flags["act_order"] = .bool(actOrder) }
        if let dampening { flags["dampening"] = .double(dampening) }
        if let floatTargets { flags["float_targets"] = .bool(floatTargets) }
        if let biasCorrection { flags["bias_correction"] = .bool(biasCorrection) }
        if let trueSequential { flags["true_sequential"] = .bool(trueSequential) }
        if let alpha { flags["alpha"] = .double(alpha) }
        if let threshold { flags["threshold"] = .double(threshold) }
        return try Recipe.fromFlags(method: method ?? "", flags: flags, ignore: ignore)
    }

    static func printTable(_ report: QuantizationReport) {
        print(Format.pad("layer", 22), Format.pad("method", 11), Format.pad("scheme", 16), Format.pad("encoding", 16),
              "bits/w".leftPad(7), "loss".leftPad(10), "error".leftPad(10), "kind".leftPad(7), "s".leftPad(7))
        for r in report.layers {
            print(Format.pad(r.layer, 22), Format.pad(r.method, 11), Format.pad(r.scheme, 16), Format.pad(r.encoding, 16),
                  String(format: "%.3f", r.bitsPerWeight).leftPad(7), (r.loss.map { String(format: "%.3e", $0) } ?? "-").leftPad(10),
                  String(format: "%.3e", r.error).leftPad(10), r.errorKind.leftPad(7), String(format: "%.2f", r.seconds).leftPad(7))
        }
        for e in report.equalizations {
            print("\(e.method) scales on \(e.input) (\(e.layers.joined(separator: ", "))): "
                  + (e.foldedInto.map { "folded into \($0)" + (e.alpha.map { String(format: ", α %.2f", $0) } ?? "") } ?? "skipped, \(e.skipped ?? "")"))
        }
    }
}

