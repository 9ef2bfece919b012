import ArgumentParser
import Foundation
import PithCompress
import PithModels
import PithPackaging

/// The calibration text of a compression command (`pith quantize`, `pith prune`): windows of a text, or its lines.
struct CalibrationOptions: ParsableArguments {
    @Option(help: "Calibration text (default: $PITH_HOME/data/calibration.txt).") var calib: String?
    @Option(help: "Calibration samples.") var samples = 128
    @Flag(help: "Each non-empty line of --calib is one sample (up to --seq-len tokens), not windows of the whole text.") var calibLines = false
    @Option(help: "Tokens per calibration sample.") var seqLen = 512

    func validate() throws {
        guard samples >= 1, seqLen >= 2 else { throw ValidationError("--samples must be ≥ 1 and --seq-len ≥ 2") }
    }

    /// The samples for `model`: `--samples` windows of `--seq-len` tokens of the text (or its lines).
    func load(for model: Model) throws -> CalibrationSet {
        let url = calib.map { URL(fileURLWithPath: $0) } ?? ModelLocator().home.appendingPathComponent("data/calibration.txt")
        guard let data = FileManager.default.contents(atPath: url.path) else { throw QuantizationError("\(url.path): cannot read the calibration text") }
        guard seqLen <= model.contextLength else { throw QuantizationError("--seq-len \(seqLen) exceeds the model's context of \(model.contextLength)") }
        let text = String(decoding: data, as: UTF8.self), tokenizer = try model.requireTokenizer()
        if calibLines {
            let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            return try CalibrationSet(lines: lines, tokenizer: tokenizer, samples: samples, length: seqLen)
        }
        return try CalibrationSet(text: text, tokenizer: tokenizer, samples: samples, length: seqLen)
    }

    /// The report's line about the calibration.
    func summary(_ c: QuantizationReport.Calibration) -> String {
        let shape = calibLines ? "lines of up to \(c.sequenceLength) tokens, \(c.tokens) in all" : "× \(c.sequenceLength) tokens"
        return "calibration: \(c.samples) samples \(shape)" + (c.note.map { " (\($0))" } ?? "")
    }
}

/// --meta's fields for a package; a model whose metadata names no version (SmolLM2's GGUF) gets its structure's.
func packageMeta(_ meta: String?, for model: Model) throws -> [String: Any]? {
    var result: [String: Any]?
    if let meta {
        guard let data = FileManager.default.contents(atPath: meta) else { throw QuantizationError("\(meta): cannot read file") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw QuantizationError("\(meta): not a JSON object") }
        result = object
    }
    if model.structure.metadata["general.version"] == nil {
        var management = result?["managementinfo"] as? [String: Any] ?? [:]
        if management["version"] == nil { management["version"] = model.structure.version }
        result = (result ?? [:]).merging(["managementinfo": management]) { $1 }
    }
    return result
}

/// The steps `pith quantize` and `pith prune` share: calibration when a pass needs it, the package's meta-info
/// checked before the (long) run, the run itself with progress on stderr, and the package written.
func compress(_ model: Model, recipe: Recipe, registry: PassRegistry = .standard, calibration options: CalibrationOptions,
              meta: String?, output: String, verbose: Bool) throws -> (model: Model, report: QuantizationReport, fileSize: Int) {
    let needsCalibration = try reportingErrors {
        try ModelQuantizer.check(model, recipe: recipe, registry: registry)
        return try recipe.resolve(registry: registry).contains { $0.pass.needsCalibration }
    }
    let calibration = needsCalibration ? try reportingErrors { try options.load(for: model) } : nil
    var packing = Packer.Options()
    packing.meta = try reportingErrors { try packageMeta(meta, for: model) }
    let missing = MetaInfo.derive(models: [model], packageDigestHint: "", overrides: packing.meta).missingRequired
    guard missing.isEmpty else {
        print("pith: managementinfo.json would lack required field(s) \(missing.joined(separator: ", ")): give them in --meta {\"managementinfo\": {…}}", to: &standardError)
        throw ExitCode(1)
    }
    let (compressed, report) = try reportingErrors {
        try ModelQuantizer.quantize(model, recipe: recipe, options: QuantizationOptions(calibration: calibration) { line in
            if verbose { print(line, to: &standardError) }
        }, registry: registry)
    }
    let written = try reportingErrors { try Packer.pack([compressed], options: packing, to: URL(fileURLWithPath: output)) }
    return (compressed, report, written.fileSize)
}
