import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTensor

/// How a quantization run gets its calibration data and reports progress.
public struct QuantizationOptions: Sendable {
    /// Samples to run through the model; needed when a pass needs calibration.
    public var calibration: CalibrationSet?
    /// Rows (samples × tokens) one executor call takes.
    public var rowsPerCall = 4096
    /// One line per layer as it finishes (layer, method, loss/error, seconds), and per block.
    public var progress: (@Sendable (String) -> Void)?

    public init(calibration: CalibrationSet? = nil, rowsPerCall: Int = 4096, progress: (@Sendable (String) -> Void)? = nil) {
        self.calibration = calibration
        self.rowsPerCall = rowsPerCall
        self.progress = progress
    }
}

/// Applies a recipe to a model: every linear (and every other weight a stage names) goes through its stage's pass.
///
/// With a pass that needs calibration the model is walked block by block (GPTQ's sequential order): the block runs on
/// every sample capturing the inputs of its target linears, its linears are equalised and quantized, and the
/// QUANTIZED block then runs to make the next block's inputs. Memory: one block's activations for all samples plus
/// the statistics of its inputs. A tied output head (its weight is the embedding table) is quantized with the
/// statistics of the final norm's output, and the embedding table with it.
public enum ModelQuantizer {
    /// The quantized model (its metadata carries the report under `QuantizationReport.metadataKey`) and the report.
    public static func quantize(_ model: Model, recipe: Recipe, options: QuantizationOptions = QuantizationOptions(),
                                registry: PassRegistry = .standard) throws -> (model: Model, report: QuantizationReport) {
        let start = ContinuousClock.now
        var run = try QuantizationRun(model: model, stages: try recipe.resolve(registry: registry), options: options)
        try run.execute()
        return try run.finish(recipe: recipe, seconds: (ContinuousClock.now - start).seconds)
    }
}

/// One target linear: where it is, what it reads, which pass quantizes it.
struct LinearSite {
    let index: Int
    let name: String
    let weight: String
    let input: String
    let rows: Int
    let cols: Int
    let stage: Int
    let pass: any CompressionPass
}

struct QuantizationRun {
    var model: Model
    let options: QuantizationOptions
    var sites: [LinearSite] = []
    /// Parameters a stage names that no linear reads (an untied embedding …): quantized on their own.
    var standalone: [(weight: String, rows: Int, cols: Int, stage: Int, pass: any CompressionPass)] = []
    var layers: [LayerReport] = []
    var equalizations: [EqualizationReport] = []
    var skipped: [String: String] = [:]
    let bytesBefore: Int

    init(model: Model, stages: [ResolvedStage], options: QuantizationOptions) throws {
        var model = model
        guard let index = model.structure.graphs.firstIndex(where: { $0.parentGraphID == -1 }) else {
            throw QuantizationError("the model has no main graph")
        }
        // Module operators (mha, ffn) become the linears they stand for, so each is a target of its own.
        model.structure.graphs[index] = try ModuleExpansion().apply(to: model.structure.graphs[index])
        self.model = model
        self.options = options
        bytesBefore = model.weights.byteCount
        let graph = model.structure.graphs[index]
        let variables = graph.variablesByName
        var claimed: [String: String] = [:]
        for (i, op) in graph.operators.enumerated() where op.type == "linear" {
            guard let weight = op.input("weight"), let input = op.input("input"), let v = variables[weight], v.shape.count == 2 else { continue }
            guard let (stage, pass) = stages.assignment(for: [op.name, weight], isLinear: true) else { continue }
            if let first = claimed[weight] {
                skipped[op.name] = "its weight '\(weight)' is quantized with '\(first)'"
                continue
            }
            claimed[weight] = op.name
            sites.append(LinearSite(index: i, name: op.name, weight: weight, input: input, rows: v.shape[0], cols: v.shape[1],
                                    stage: stage.index, pass: pass))
        }
        for v in graph.variables where v.isParameter && claimed[v.name] == nil && v.shape.count == 2 {
            guard let (stage, pass) = stages.assignment(for: [v.name], isLinear: false) else { continue }
            if pass.needsCalibration {
                skipped[v.name] = "\(pass.name) needs the statistics of a linear's input, and no linear reads '\(v.name)'"
                continue
            }
            standalone.append((v.name, v.shape[0], v.shape[1], stage.index, pass))
        }
        if sites.isEmpty && standalone.isEmpty { throw QuantizationError("the recipe's targets match no weight of the model") }
    }

    var graph: ComputationGraph { model.structure.mainGraph ?? ComputationGraph() }

    mutating func execute() throws {
        if sites.contains(where: { $0.pass.needsCalibration }) {
            guard let calibration = options.calibration else {
                let names = Set(sites.filter { $0.pass.needsCalibration }.map { $0.pass.name }).sorted()
                throw QuantizationError("\(names.joined(separator: ", ")) needs calibration data (give --calib FILE)")
            }
            try sweep(calibration)
        } else {
            for site in sites { try quantize(site, weights: try model.floatValues(of: site.weight), statistics: nil) }
        }
        for s in standalone {
            let site = LinearSite(index: -1, name: s.weight, weight: s.weight, input: "", rows: s.rows, cols: s.cols, stage: s.stage, pass: s.pass)
            try quantize(site, weights: try model.floatValues(of: s.weight), statistics: nil)
        }
    }

    // MARK: - The block-by-block sweep

    mutating func sweep(_ calibration: CalibrationSet) throws {
        let segments = try graph.layerSegments()
        let runner = SegmentRunner(calibration: calibration, rowsPerCall: options.rowsPerCall)
        let segmentOf: (Int) -> Int = { index in segments.firstIndex { $0.operatorIndices.contains(index) } ?? -1 }
        let siteSegments = sites.map { segmentOf($0.index) }
        guard let last = siteSegments.max() else { return }
        // f32 inputs of the segments after each one: what the store must keep.
        var laterInputs = [Set<String>](repeating: [], count: segments.count)
        for i in stride(from: segments.count - 2, through: 0, by: -1) {
            laterInputs[i] = laterInputs[i + 1].union(segments[i + 1].floatInputs)
        }
        var store: [String: [Float]] = [:]
        if let note = calibration.note { options.progress?("calibration: \(note)") }
        for (i, cut) in segments.enumerated() where i <= last {
            let blockSites = zip(sites, siteSegments).filter { $0.1 == i }.map(\.0)
            if !blockSites.isEmpty {
                let clock = ContinuousClock.now
                var statistics = try capture(blockSites, segment: cut, runner: runner, store: store)
                options.progress?("\(cut.key): captured the inputs of \(blockSites.count) linears over \(calibration.count) × \(calibration.length) tokens in \(String(format: "%.2f", (ContinuousClock.now - clock).seconds)) s")
                var working: [String: [Float]] = [:]
                for site in blockSites { working[site.weight] = try model.floatValues(of: site.weight) }
                if try equalize(blockSites, segment: cut, working: &working, statistics: statistics) {
                    // The block, equalised but still float, is stored so a second capture measures the inputs the
                    // linears now get (X/s): exactly, where rescaling the first statistics would need their internals.
                    for site in blockSites { if let w = working[site.weight] { model.store(site.weight, floats: w) } }
                    statistics = try capture(blockSites, segment: cut, runner: runner, store: store)
                }
                for site in blockSites { try quantize(site, weights: working[site.weight] ?? [], statistics: statistics[site.input]) }
            }
            guard i < last else { break }
            // The block as it now is (quantized, folded) makes the next block's inputs.
            let current = try graph.segment(key: cut.key, operators: cut.operatorIndices)
            let outputs = try runner.run(current.graph, weights: model.weights, store: store)
            store.merge(outputs) { $1 }
            store = store.filter { laterInputs[i].contains($0.key) }
        }
    }

    /// Statistics of each target linear's input over every sample.
    func capture(_ blockSites: [LinearSite], segment cut: GraphSegment, runner: SegmentRunner,
                 store: [String: [Float]]) throws -> [String: InputStatistics] {
        let keep = blockSites.map { $0.pass.sampleRowsWanted }.max() ?? 0
        var statistics: [String: InputStatistics] = [:]
        for site in blockSites where statistics[site.input] == nil {
            statistics[site.input] = InputStatistics(features: site.cols, keepSampleRows: keep)
        }
        let inputs = Array(Set(blockSites.map(\.input))).sorted()
        let current = try graph.segment(key: cut.key, operators: cut.operatorIndices)
        let capture = try current.graph.pruned(toProduce: inputs)
        _ = try runner.run(capture, weights: model.weights, store: store, tap: Set(inputs), keepOutputs: false) { name, values, rows, width in
            guard let base = values.baseAddress, statistics[name]?.features == width else {
                throw QuantizationError("'\(name)' has \(width) features, its linear expects \(statistics[name]?.features ?? 0)")
            }
            statistics[name]?.accumulate(base, count: rows)
        }
        return statistics
    }

    // MARK: - Equalisation (AWQ, SmoothQuant)

    /// Scales and folds each group whose pass equalises; true when any was folded.
    mutating func equalize(_ blockSites: [LinearSite], segment cut: GraphSegment, working: inout [String: [Float]],
                           statistics: [String: InputStatistics]) throws -> Bool {
        var folded = false
        // Groups: linears reading one input through one pass with one set of parameters, in graph order.
        var order: [String] = []
        var groups: [String: [LinearSite]] = [:]
        for site in blockSites where site.pass.equalizes {
            let key = "\(site.input)|\(site.stage)|\(site.pass.parametersJSON)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(site)
        }
        let graph = self.graph
        let allowed = Set(cut.operatorIndices.map { graph.operators[$0].name })
        for key in order {
            guard let group = groups[key], let first = group.first, let stats = statistics[first.input] else { continue }
            var report = EqualizationReport(input: first.input, layers: group.map(\.name), method: first.pass.name)
            let site: ScaleFolding.Site
            switch ScaleFolding.site(for: first.input, group: Set(group.map(\.name)), in: graph, allowed: allowed) {
            case .failure(let refusal):
                report.skipped = refusal.description
                equalizations.append(report)
                options.progress?("\(group.map(\.name).joined(separator: ", ")): \(first.pass.name) scaling skipped: \(refusal.description)")
                continue
            case .success(let s):
                site = s
            }
            if case .linearRows(let op, let w, _) = site, working[w] == nil, let v = model.parameter(named: w) {
                if case .dense = v.encoding {} else {
                    report.skipped = "its producer '\(op)' is not quantized here and is stored as \(v.encoding.name); folding would rewrite it"
                    equalizations.append(report)
                    continue
                }
            }
            let layers = group.map {
                LinearLayer(name: $0.name, weightName: $0.weight, rows: $0.rows, cols: $0.cols, weights: working[$0.weight] ?? [], statistics: stats)
            }
            guard let found = try first.pass.equalize(EqualizationGroup(input: first.input, layers: layers, statistics: stats)) else { continue }
            guard found.scales.count == first.cols, found.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw QuantizationError("\(first.pass.name): scales for '\(first.input)' are not \(first.cols) positive numbers")
            }
            try fold(found.scales, into: site, working: &working)
            for s in group { if var w = working[s.weight] { ScaleFolding.multiplyColumns(&w, by: found.scales); working[s.weight] = w } }
            folded = true
            report.foldedInto = site.operatorName
            report.alpha = found.alpha
            report.loss = found.loss
            equalizations.append(report)
            options.progress?("\(group.map(\.name).joined(separator: ", ")): \(first.pass.name) scales folded into \(site.operatorName)"
                + (found.alpha.map { String(format: " (α %.2f)", $0) } ?? ""))
        }
        return folded
    }

    /// Divides the site's parameters by `scales`: a target linear's working copy, or the stored values (as dense f32).
    mutating func fold(_ scales: [Float], into site: ScaleFolding.Site, working: inout [String: [Float]]) throws {
        let cols: Int
        switch site {
        case .norm: cols = 1
        case .linearRows(_, let weight, _): cols = model.parameter(named: weight)?.rowLength ?? 1
        }
        for (k, name) in site.parameters.enumerated() {
            let perRow = k == 0 ? cols : 1
            if var values = working[name] {
                ScaleFolding.divide(&values, by: scales, rowsOf: perRow)
                working[name] = values
            } else {
                var values = try model.floatValues(of: name)
                ScaleFolding.divide(&values, by: scales, rowsOf: perRow)
                model.store(name, floats: values)
            }
        }
    }

    // MARK: - One layer

    mutating func quantize(_ site: LinearSite, weights: [Float], statistics: InputStatistics?) throws {
        let clock = ContinuousClock.now
        let layer = LinearLayer(name: site.name, weightName: site.weight, rows: site.rows, cols: site.cols, weights: weights,
                                statistics: statistics)
        let result: LayerResult
        do {
            result = try site.pass.apply(to: layer)
        } catch let e as RecipeError {
            skipped[site.name] = e.description
            options.progress?("\(site.name): skipped: \(e.description)")
            return
        }
        let matrix = result.matrix
        guard matrix.rows == site.rows, matrix.cols == site.cols else {
            throw QuantizationError("\(site.pass.name) returned \(matrix.rows)×\(matrix.cols) for '\(site.weight)' (\(site.rows)×\(site.cols))")
        }
        let quantized = matrix.dequantize()
        let error = statistics.map { LayerError.output(weights, quantized, rows: site.rows, cols: site.cols, statistics: $0) }
            ?? LayerError.weight(weights, quantized)
        model.store(site.weight, matrix)
        let encoding = Encoding.quantized(canonical: matrix.scheme)
        let bytes = model.weights[site.weight]?.count ?? 0
        let report = LayerReport(
            layer: site.name, weight: site.weight, method: site.pass.name, scheme: matrix.scheme.description, encoding: encoding.name,
            stage: site.stage, parameters: site.pass.parametersJSON, elements: site.rows * site.cols, bytes: bytes,
            bitsPerWeight: Double(bytes * 8) / Double(max(site.rows * site.cols, 1)), loss: result.loss,
            error: error, errorKind: statistics == nil ? "weight" : "output", seconds: (ContinuousClock.now - clock).seconds,
            notes: result.notes)
        layers.append(report)
        options.progress?(Self.line(report))
    }

    static func line(_ r: LayerReport) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let loss = r.loss.map { String(format: "loss %.3e  ", $0) } ?? ""
        return pad(r.layer, 22) + " " + pad(r.method, 11) + " " + pad(r.scheme, 16) + " " + loss
            + String(format: "%@ err %.3e  %.2f s", r.errorKind, r.error, r.seconds)
            + (r.notes.isEmpty ? "" : "  (\(r.notes.joined(separator: "; ")))")
    }

    // MARK: - The result

    mutating func finish(recipe: Recipe, seconds: Double) throws -> (model: Model, report: QuantizationReport) {
        let elements = layers.reduce(0) { $0 + $1.elements }, bytes = layers.reduce(0) { $0 + $1.bytes }
        let totals = QuantizationReport.Totals(
            layers: layers.count, elements: elements, bytes: bytes,
            bitsPerWeight: Double(bytes * 8) / Double(max(elements, 1)),
            modelBytesBefore: bytesBefore, modelBytesAfter: model.weights.byteCount, seconds: seconds)
        let calibration = options.calibration.flatMap { c in
            sites.contains { $0.pass.needsCalibration }
                ? QuantizationReport.Calibration(samples: c.count, sequenceLength: c.length, tokens: c.count * c.length, note: c.note) : nil
        }
        let report = QuantizationReport(recipe: recipe, calibration: calibration, layers: layers, equalizations: equalizations,
                                        skipped: skipped, totals: totals)
        model.structure.metadata[QuantizationReport.metadataKey] = try report.json()
        try GraphValidator().validate(model.structure)
        return (model, report)
    }
}
