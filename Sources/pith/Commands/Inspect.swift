import ArgumentParser
import Foundation
import PithGraph
import PithModels

/// `pith inspect`: the model's structure, graph, parameters, bytes and FLOPs.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a model's structure, graph summary, parameters, bytes and FLOPs per token.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Context length for attention FLOPs and KV-cache size.") var context = 512
    @Flag(help: "List every operator node with its inputs, outputs and attributes.") var graph = false
    @Flag(help: "Print the standard's ModelStructure and the statistics as JSON.") var json = false

    struct Report: Encodable {
        let modelStructure: ModelStructure
        let statistics: GraphStatistics
        enum CodingKeys: String, CodingKey { case modelStructure = "model_structure", statistics }
    }

    func run() throws {
        let model = try options.load()
        guard let main = model.structure.mainGraph else { return }
        let stats = GraphStatistics(graph: main)
        if json {
            try printJSON(Report(modelStructure: model.structure, statistics: stats))
            return
        }
        let s = model.structure
        print("model        \(s.name)")
        print("source       \(model.source.path)")
        print("architecture \(s.architecture) (\(s.family.rawValue)), \(s.graphs.count) graph(s)")
        print("graph        \(main.operators.count) operators, \(main.variables.count) variables, inputs \(main.inputs), outputs \(main.outputs)")
        let ops = stats.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        print("operators    \(ops)")
        print("parameters   \(Format.count(stats.parameters)) (\(Format.bytes(stats.bytes)), \(String(format: "%.2f", stats.bitsPerParameter)) bits/parameter)")
        for (encoding, bytes) in stats.bytesByEncoding.sorted(by: { $0.value > $1.value }) {
            let n = stats.parametersByEncoding[encoding] ?? 0
            print("  \(encoding.padding(toLength: 10, withPad: " ", startingAt: 0)) \(Format.count(n).padding(toLength: 10, withPad: " ", startingAt: 0)) parameters  \(Format.bytes(bytes))")
        }
        print("FLOPs/token  \(Format.count(stats.flopsPerToken(context: 1))) at position 1, \(Format.count(stats.flopsPerToken(context: context))) at \(context) (decode); prefill of \(context) tokens ≈ \(Format.count(stats.weightFLOPsPerToken * context + stats.attentionFLOPsPerContextToken * context * (context + 1) / 2))")
        print("KV cache     \(Format.bytes(stats.kvCacheFloatsPerToken * 4 * context)) at \(context) tokens (f32)")
        if graph {
            print("")
            for node in main.operators {
                let ins = node.inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map { describe($0, main) }.joined(separator: ","))" }
                let outs = node.outputs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.map { describe($0, main) }.joined(separator: ","))" }
                let attrs = node.attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\(Format.attribute($0.value))" }
                print("\(node.name) [\(node.type)] \(ins.joined(separator: " ")) → \(outs.joined(separator: " "))\(attrs.isEmpty ? "" : " {" + attrs.joined(separator: ", ") + "}")")
            }
        }
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
