import ArgumentParser
import Foundation
import PithCompress
import PithGraph
import PithModels
import PithPackaging

/// `pith inspect`: the model's structure, graph, parameters, bytes and FLOPs, per layer and in total.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's structure and, per layer and in total, its parameters, bytes, FLOPs and KV cache.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Context length N: FLOPs of a prefill of N tokens and of a decode at position N, KV cache at N tokens.")
    var context = 512
    @Flag(help: "List every operator node with its inputs, outputs, shapes and attributes.") var graph = false
    @Flag(help: "Print the standard's ModelStructure and the statistics (per_layer and total) as JSON.") var json = false

    struct Report: Encodable {
        let modelStructure: ModelStructure
        let statistics: GraphStatistics.Report
        enum CodingKeys: String, CodingKey { case modelStructure = "model_structure", statistics }
    }

    func validate() throws {
        guard (1...(1 << 24)).contains(context) else { throw ValidationError("--context must be 1…16777216") }
    }

    func run() throws {
        if PackageFile.isPackage(options.model) && !graph { return try inspectPackage() }
        let model = try options.load()
        guard let main = model.structure.mainGraph else { return }
        let report = GraphStatistics(graph: main).report(context: context)
        if json {
            try printJSON(Report(modelStructure: model.structure, statistics: report))
            return
        }
        let s = model.structure, total = report.total.statistics
        print("model        \(s.name)")
        print("source       \(model.source.path)")
        print("architecture \(s.architecture) (\(s.family.rawValue)), \(s.graphs.count) graph(s), format \(s.formatVersion)")
        print("graph        \(main.operators.count) operators, \(main.variables.count) variables, inputs \(main.inputs), outputs \(main.outputs)")
        let ops = total.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        print("operators    \(ops)")
        let bits = total.parameters == 0 ? 0 : Double(total.bytes) * 8 / Double(total.parameters)
        print("parameters   \(Format.count(total.parameters)) (\(Format.bytes(total.bytes)), \(String(format: "%.2f", bits)) bits/parameter)")
        for (encoding, bytes) in total.bytesByEncoding.sorted(by: { $0.value > $1.value }) {
            let n = total.parametersByEncoding[encoding] ?? 0
            print("  \(Format.pad(encoding, 10)) \(Format.pad(Format.count(n), 10)) parameters  \(Format.bytes(bytes))")
        }
        if let line = Self.pruning(s.metadata) { print("pruned       \(line)") }
        print("")
        printLayers(report)
        print("")
        print("prefill      \(context) tokens: \(Format.count(report.total.prefillFLOPs)) FLOPs, \(Format.count(report.total.prefillFLOPsPerToken)) per token")
        if total.kvCacheElementsPerToken > 0 {
            print("decode       one token at position \(context): \(Format.count(report.total.decodeFLOPs)) FLOPs")
            print("KV cache     \(Format.bytes(report.total.kvCacheBytes)) at \(context) tokens (f32)")
        }
        print("             FLOPs count matrix multiplies and attention (QKᵀ, AV); norms and activations (O(d) per token) are left out")
        if graph {
            for g in s.graphs { printNodes(of: g) }
        }
    }

    /// One row per layer, then the total.
    private func printLayers(_ report: GraphStatistics.Report) {
        let n = report.context
        let header = ["layer", "parameters", "bytes", "encodings", "prefill(\(n))", "per token", "decode@\(n)", "KV@\(n)"]
        var rows = [header]
        for row in report.perLayer + [report.total] {
            let s = row.statistics
            let encodings = s.bytesByEncoding.sorted { $0.value > $1.value }.map(\.key).joined(separator: ",")
            rows.append([s.layer, Format.count(s.parameters), Format.bytes(s.bytes), encodings,
                         Format.count(row.prefillFLOPs), Format.count(row.prefillFLOPsPerToken),
                         Format.count(row.decodeFLOPs), Format.bytes(row.kvCacheBytes)])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for (i, row) in rows.enumerated() {
            let cells = row.enumerated().map { c, cell in c == 0 || c == 3 ? Format.pad(cell, widths[c]) : Format.padLeft(cell, widths[c]) }
            print(cells.joined(separator: "  "))
            if i == 0 || i == rows.count - 2 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
    }

    /// Every operator of a graph: type, inputs and outputs with shapes (T: the dynamic token dimension), attributes.
    private func printNodes(of g: ComputationGraph) {
        let catalogue = OperatorCatalogue.standard
        print("")
        let about = [g.name, g.role?.rawValue].compactMap { $0 }.joined(separator: ", ")
        print("graph \(g.graphID)\(about.isEmpty ? "" : " (\(about))"): parent \(g.parentGraphID), forward \(g.forwardGraphID), "
              + "inputs \(g.inputs.map { describe($0, g) }.joined(separator: " ")), outputs \(g.outputs.map { describe($0, g) }.joined(separator: " "))")
        for node in g.operators {
            let ins = node.inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map { describe($0, g) }.joined(separator: ","))" }
            let outs = node.outputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map { describe($0, g) }.joined(separator: ","))" }
            var attrs = node.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\(Format.attribute($0.value))" }
            for spec in catalogue[node.type]?.attributes ?? [] where node.attributes[spec.name] == nil {
                if let d = spec.defaultValue { attrs.append("\(spec.name)=\(Format.attribute(d)) (default)") }
            }
            print("\(node.name) [\(node.type)] \(ins.joined(separator: " ")) → \(outs.joined(separator: " "))\(attrs.isEmpty ? "" : " {" + attrs.joined(separator: ", ") + "}")")
        }
    }

    private func inspectPackage() throws {
        let summary = PackageSummary(try reportingErrors { try PackageReader(url: URL(fileURLWithPath: options.model)) })
        if json { return try printJSON(summary) }
        let h = summary.header
        print("package      \(summary.file)")
        print("format       \(h.formatVersion), \(h.flags.isEmpty ? "plain" : h.flags.joined(separator: ", ")), \(Format.bytes(h.fileSize))")
        print("header       \(h.headerSize) bytes, data from \(h.dataOffset), SHA-256 \(h.headerDigest)")
        if let base = h.baseDigest { print("base         \(base) (residual update)") }
        if let s = summary.signature { print("signature    \(s.algorithm), key \(s.fingerprint)") } else { print("signature    none") }
        for m in summary.models {
            print("model \(m.id)      \(m.kind), \(Format.count(m.parameters)) parameters; graph \(Format.bytes(m.graph.size)) at \(m.graph.offset), data \(Format.bytes(m.data.size)) at \(m.data.offset) (\(m.compression), \(m.encryption)); checksum \(m.checksum.prefix(16))…")
        }
        print("")
        print("section                                   offset       stored     original  coding  encryption   sha256")
        for s in summary.sections {
            print("\(s.name.padding(toLength: 40, withPad: " ", startingAt: 0))  \(String(s.offset).leftPad(10))  \(Format.bytes(s.storedSize).leftPad(11))  \(Format.bytes(s.originalSize).leftPad(11))  \(s.coding.padding(toLength: 6, withPad: " ", startingAt: 0))  \(s.encryption.padding(toLength: 11, withPad: " ", startingAt: 0))  \(s.sha256.prefix(16))…")
        }
        // The pruning report lives in the model's metadata (the meta-info carries quantization only).
        if let model = try? options.load(), let line = Self.pruning(model.structure.metadata) { print("pruned       \(line)") }
        for (name, text) in summary.metaInfo.sorted(by: { $0.key < $1.key }) {
            print("\n\(name)\n\(text)")
        }
    }

    /// A model pruned by `pith prune`, in one line: layers, the share of their weights that are zero, how.
    static func pruning(_ metadata: [String: String]) -> String? {
        guard let json = metadata[QuantizationReport.pruningKey],
              let report = try? JSONDecoder().decode(QuantizationReport.self, from: Data(json.utf8)) else { return nil }
        let layers = report.layers.filter { $0.sparsity != nil }
        guard !layers.isEmpty else { return nil }
        let elements = layers.reduce(0) { $0 + $1.elements }
        let zeros = layers.reduce(0.0) { $0 + ($1.sparsity ?? 0) * Double($1.elements) }
        let methods = Set(layers.map { "\($0.method) \($0.pattern ?? "")" }).sorted().joined(separator: ", ")
        return String(format: "%d layers (%@ weights), %.2f%% of them zero (%@)", layers.count, Format.count(elements),
                      100 * zeros / Double(max(elements, 1)), methods)
    }

    private func describe(_ name: String, _ graph: ComputationGraph) -> String {
        guard let v = graph.variable(named: name) else { return name }
        let shape = v.shape.map { $0 < 0 ? "T" : String($0) }.joined(separator: "×")
        return "\(name):\(shape)\(v.isParameter ? ":" + v.encoding.name : "")"
    }
}

/// Human-readable numbers.
enum Format {
    static func count(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e12 { return String(format: "%.2fT", d / 1e12) }
        if d >= 1e9 { return String(format: "%.2fG", d / 1e9) }
        if d >= 1e6 { return String(format: "%.2fM", d / 1e6) }
        if d >= 1e3 { return String(format: "%.1fk", d / 1e3) }
        return String(n)
    }

    static func bytes(_ n: Int) -> String {
        let d = Double(n)
        if d >= Double(1 << 30) { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if d >= Double(1 << 20) { return String(format: "%.2f MiB", d / Double(1 << 20)) }
        if d >= Double(1 << 10) { return String(format: "%.1f KiB", d / Double(1 << 10)) }
        return "\(n) B"
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    static func attribute(_ a: Attribute) -> String {
        switch a {
        case .int(let v): String(v)
        case .float(let v): String(v)
        case .string(let v): v
        case .bool(let v): String(v)
        case .ints(let v): "\(v)"
        case .floats(let v): "\(v)"
        case .strings(let v): "\(v)"
        }
    }
}

extension String {
    /// Right-aligned in `width` columns.
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
