import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTensor

/// One target linear: where it is, what it reads, which pass quantizes it.
struct LinearSite {
    let index: Int
    let name: String
    let weight: String
    let input: String
    /// Its bias variable, when it has one.
    var bias: String? = nil
    let rows: Int
    let cols: Int
    let stage: Int
    let pass: any CompressionPass
}

/// One quantization run: the model as it is being rewritten, the target linears with their passes, and what was done.
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
    /// Weights a pruning run pruned before (the model's `pith.pruning` report): quantizers keep their zeros.
    let prunedWeights: Set<String>

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
        prunedWeights = QuantizationReport.prunedWeights(in: model.structure.metadata)
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
            // An impossible pattern fails here, before any calibration, rather than skipping the layer later.
            if let pruning = pass as? any PruningPass {
                do { try pruning.target.validate(cols: v.shape[1]) } catch let e as RecipeError {
                    throw QuantizationError("\(op.name): \(e.description)")
                }
            }
            sites.append(LinearSite(index: i, name: op.name, weight: weight, input: input, bias: op.input("bias"), rows: v.shape[0],
                                    cols: v.shape[1], stage: stage.index, pass: pass))
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

    // MARK: - One layer

    mutating func quantize(_ site: LinearSite, weights: [Float], statistics: InputStatistics?) throws {
        let clock = ContinuousClock.now
        let bias = try site.bias.map { try model.floatValues(of: $0) }
        // A layer pruned before keeps its zeros through any quantizer (docs/COMPRESSION.md).
        let mask = prunedWeights.contains(site.weight) ? PruneMask(zerosOf: weights, rows: site.rows, cols: site.cols) : nil
        let layer = LinearLayer(name: site.name, weightName: site.weight, rows: site.rows, cols: site.cols, weights: weights,
                                statistics: statistics, bias: bias, mask: mask)
        var result: LayerResult
        do {
            result = try site.pass.apply(to: layer)
        } catch let e as RecipeError {
            skipped[site.name] = e.description
            options.progress?("\(site.name): skipped: \(e.description)")
            return
        }
        let stored: [Float], scheme: String, encoding: String
        switch result.output {
        case .quantized(let matrix):
            guard matrix.rows == site.rows, matrix.cols == site.cols else {
                throw QuantizationError("\(site.pass.name) returned \(matrix.rows)×\(matrix.cols) for '\(site.weight)' (\(site.rows)×\(site.cols))")
            }
            stored = matrix.dequantize()
            model.store(site.weight, matrix)
            scheme = matrix.scheme.description
            encoding = Encoding.quantized(canonical: matrix.scheme).name
        case .dense(let values):
            guard values.count == site.rows * site.cols, values.allSatisfy({ $0.isFinite }) else {
                throw QuantizationError("\(site.pass.name) returned \(values.count) values for '\(site.weight)' (\(site.rows)×\(site.cols), all finite)")
            }
            stored = values
            model.store(site.weight, floats: values)
            scheme = "f32"
            encoding = Encoding.dense(.f32).name
        }
        if let mask {
            let lost = mask.pruned.indices.filter { mask.pruned[$0] && stored[$0] != 0 }
            if let worst = lost.map({ abs(stored[$0]) }).max() {
                result.notes.append("\(lost.count) pruned weights decode to non-zero values (up to \(worst)): \(scheme) has no exact 0 in some groups")
            } else {
                result.notes.append("pruned weights kept at 0")
            }
        }
        let error = statistics.map { LayerError.output(weights, stored, rows: site.rows, cols: site.cols, statistics: $0) }
            ?? LayerError.weight(weights, stored)
        if let corrected = result.bias, let name = site.bias {
            guard corrected.count == site.rows, corrected.allSatisfy({ $0.isFinite }) else {
                throw QuantizationError("\(site.pass.name) returned a bias of \(corrected.count) values for '\(name)' (\(site.rows) expected, all finite)")
            }
            model.store(name, floats: corrected)
        }
        let bytes = model.weights[site.weight]?.count ?? 0
        var report = LayerReport(
            layer: site.name, weight: site.weight, method: site.pass.name, scheme: scheme, encoding: encoding,
            stage: site.stage, parameters: site.pass.parametersJSON, elements: site.rows * site.cols, bytes: bytes,
            bitsPerWeight: Double(bytes * 8) / Double(max(site.rows * site.cols, 1)), loss: result.loss,
            error: error, errorKind: statistics == nil ? "weight" : "output", seconds: (ContinuousClock.now - clock).seconds,
            notes: result.notes)
        if result.mask != nil {
            report.sparsity = Double(stored.lazy.filter { $0 == 0 }.count) / Double(max(stored.count, 1))
            report.pattern = (site.pass as? any PruningPass)?.target.description
        }
        layers.append(report)
        options.progress?(Self.line(report))
    }

    static func line(_ r: LayerReport) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let loss = r.loss.map { String(format: "loss %.3e  ", $0) } ?? ""
        let sparsity = r.sparsity.map { String(format: "sparsity %.4f  ", $0) } ?? ""
        return pad(r.layer, 22) + " " + pad(r.method, 11) + " " + pad(r.scheme, 16) + " " + sparsity + loss
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
                ? QuantizationReport.Calibration(samples: c.count, sequenceLength: c.length, tokens: c.lengths.reduce(0, +), note: c.note) : nil
        }
        let report = QuantizationReport(recipe: recipe, calibration: calibration, layers: layers, equalizations: equalizations,
                                        skipped: skipped, totals: totals)
        // A pruning run's report goes under `pith.pruning` (with the layers pruned before, whose masks still hold),
        // a quantizing run's under `pith.quantization`; a run doing both writes both.
        let json = try report.json()
        if layers.contains(where: { $0.sparsity != nil }) {
            model.structure.metadata[QuantizationReport.pruningKey] = try mergedPruningReport(report).json()
        }
        if layers.contains(where: { $0.sparsity == nil }) || layers.isEmpty {
            model.structure.metadata[QuantizationReport.metadataKey] = json
        }
        try GraphValidator().validate(model.structure)
        return (model, report)
    }
}

extension QuantizationRun {
    /// This run's report, with the pruned layers of an earlier pruning report that this run did not touch again.
    func mergedPruningReport(_ report: QuantizationReport) -> QuantizationReport {
        guard let json = model.structure.metadata[QuantizationReport.pruningKey],
              let earlier = try? JSONDecoder().decode(QuantizationReport.self, from: Data(json.utf8)) else { return report }
        let redone = Set(report.layers.map(\.weight))
        var merged = report
        merged.layers = earlier.layers.filter { $0.sparsity != nil && !redone.contains($0.weight) } + report.layers
        return merged
    }
}
