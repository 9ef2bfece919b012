import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTensor

extension QuantizationRun {
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
        // Float targets: the float model runs beside the quantized one, block by block, on its own activations.
        var reference: Reference?
        if sites.contains(where: { $0.pass.needsReferenceInputs }) {
            if let other = sites.first(where: { $0.pass.equalizes }) {
                throw QuantizationError("float_targets cannot run with \(other.pass.name) in one recipe: equalised layers read inputs the float model does not have")
            }
            reference = Reference(graph: graph, weights: model.weights)
        }
        if let note = calibration.note { options.progress?("calibration: \(note)") }
        for (i, cut) in segments.enumerated() where i <= last {
            let blockSites = zip(sites, siteSegments).filter { $0.1 == i }.map(\.0)
            if blockSites.contains(where: { $0.pass.capturesSequentially }) && !blockSites.contains(where: { $0.pass.equalizes }) {
                try quantizeSequentially(blockSites, segment: cut, runner: runner, store: store, reference: reference)
            } else if !blockSites.isEmpty {
                let clock = ContinuousClock.now
                var statistics = try capture(blockSites, segment: cut, runner: runner, store: store, reference: reference)
                options.progress?("\(cut.key): captured the inputs of \(blockSites.count) linears over \(calibration.count) × \(calibration.length) tokens in \(String(format: "%.2f", (ContinuousClock.now - clock).seconds)) s")
                var working: [String: [Float]] = [:]
                for site in blockSites { working[site.weight] = try model.floatValues(of: site.weight) }
                if try equalize(blockSites, segment: cut, working: &working, statistics: statistics) {
                    // The block, equalised but still float, is stored so a second capture measures the inputs the
                    // linears now get (X/s): exactly, where rescaling the first statistics would need their internals.
                    for site in blockSites { if let w = working[site.weight] { model.store(site.weight, floats: w) } }
                    let again = ContinuousClock.now
                    statistics = try capture(blockSites, segment: cut, runner: runner, store: store)
                    options.progress?("\(cut.key): captured the equalised inputs again in \(String(format: "%.2f", (ContinuousClock.now - again).seconds)) s")
                }
                for site in blockSites { try quantize(site, weights: working[site.weight] ?? [], statistics: statistics[site.input]) }
            }
            guard i < last else { break }
            // The block as it now is (quantized, folded) makes the next block's inputs.
            let current = try graph.segment(key: cut.key, operators: cut.operatorIndices)
            let outputs = try runner.run(current.graph, weights: model.weights, store: store)
            store.merge(outputs) { $1 }
            store = store.filter { laterInputs[i].contains($0.key) }
            if var r = reference {
                let segment = try r.graph.segment(key: cut.key, operators: cut.operatorIndices)
                r.store.merge(try runner.run(segment.graph, weights: r.weights, store: r.store)) { $1 }
                r.store = r.store.filter { laterInputs[i].contains($0.key) }
                reference = r
            }
        }
    }

    /// True-sequential (GPTQ's `--true-sequential`): the block's linears in groups by input, in graph order; each
    /// group's input is captured with the linears before it in the block already quantized, so each is fitted to the
    /// inputs the quantized model will really give it (q/k/v, then o, then gate/up, then down).
    mutating func quantizeSequentially(_ blockSites: [LinearSite], segment cut: GraphSegment, runner: SegmentRunner,
                                       store: [String: [Float]], reference: Reference?) throws {
        var order: [String] = []
        var groups: [String: [LinearSite]] = [:]
        for site in blockSites.sorted(by: { $0.index < $1.index }) {
            if groups[site.input] == nil { order.append(site.input) }
            groups[site.input, default: []].append(site)
        }
        for input in order {
            let group = groups[input] ?? []
            let clock = ContinuousClock.now
            let statistics = try capture(group, segment: cut, runner: runner, store: store, reference: reference)
            options.progress?("\(cut.key): captured '\(input)' for \(group.count) linears in \(String(format: "%.2f", (ContinuousClock.now - clock).seconds)) s")
            for site in group { try quantize(site, weights: try model.floatValues(of: site.weight), statistics: statistics[site.input]) }
        }
    }

    /// The float model as the sweep began, and its activations at the current block.
    struct Reference {
        let graph: ComputationGraph
        let weights: Weights
        var store: [String: [Float]] = [:]
    }

    /// Statistics of each target linear's input over every sample.
    /// With a `reference`, each input row is paired with the float model's row for the same token.
    func capture(_ blockSites: [LinearSite], segment cut: GraphSegment, runner: SegmentRunner,
                 store: [String: [Float]], reference: Reference? = nil) throws -> [String: InputStatistics] {
        let keep = blockSites.map { $0.pass.sampleRowsWanted }.max() ?? 0
        var statistics: [String: InputStatistics] = [:]
        for site in blockSites where statistics[site.input] == nil {
            statistics[site.input] = InputStatistics(features: site.cols, keepSampleRows: keep)
        }
        let inputs = Array(Set(blockSites.map(\.input))).sorted()
        let current = try graph.segment(key: cut.key, operators: cut.operatorIndices)
        let capture = try current.graph.pruned(toProduce: inputs)
        if let reference {
            let referenceCapture = try reference.graph.segment(key: cut.key, operators: cut.operatorIndices).graph.pruned(toProduce: inputs)
            try runner.runPaired(capture, weights: model.weights, store: store, reference: referenceCapture,
                                 referenceWeights: reference.weights, referenceStore: reference.store, tap: Set(inputs)) { name, values, ref, rows, width in
                guard let base = values.baseAddress, let refBase = ref.baseAddress, statistics[name]?.features == width else {
                    throw QuantizationError("'\(name)' has \(width) features, its linear expects \(statistics[name]?.features ?? 0)")
                }
                statistics[name]?.accumulate(base, reference: refBase, count: rows)
            }
            return statistics
        }
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
}
