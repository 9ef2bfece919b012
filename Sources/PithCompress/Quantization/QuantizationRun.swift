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
        let layer = LinearLayer(name: site.name, weightName: site.weight, rows: site.rows, cols: site.cols, weights: weights,
                                statistics: statistics, bias: bias)
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
        if let corrected = result.bias, let name = site.bias {
            guard corrected.count == site.rows, corrected.allSatisfy({ $0.isFinite }) else {
                throw QuantizationError("\(site.pass.name) returned a bias of \(corrected.count) values for '\(name)' (\(site.rows) expected, all finite)")
            }
            model.store(name, floats: corrected)
        }
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
                ? QuantizationReport.Calibration(samples: c.count, sequenceLength: c.length, tokens: c.lengths.reduce(0, +), note: c.note) : nil
        }
        let report = QuantizationReport(recipe: recipe, calibration: calibration, layers: layers, equalizations: equalizations,
                                        skipped: skipped, totals: totals)
        model.structure.metadata[QuantizationReport.metadataKey] = try report.json()
        try GraphValidator().validate(model.structure)
        return (model, report)
    }
}
