import Foundation
import Yams

extension Recipe {
    /// Reads a YAML recipe file.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw RecipeError("\(url.path): cannot read the recipe") }
        try self.init(yaml: String(decoding: data, as: UTF8.self), source: url.path)
    }

    /// Parses `stages: [{pass, targets, ignore, parameters, overrides: [{targets, parameters}]}]`; an unknown key, a
    /// wrong kind of value or a non-scalar parameter throws one line naming `source`, the stage and the key.
    public init(yaml: String, source: String) throws {
        try Self.checkSize(yaml, source: source)
        let root: Any?
        do { root = try Yams.load(yaml: yaml) } catch {
            throw RecipeError("\(source): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        guard let top = root as? [String: Any] else { throw RecipeError("\(source): expected a map with 'stages'") }
        for key in top.keys.sorted() where key != "stages" { throw RecipeError("\(source): unknown key '\(key)' (expected 'stages')") }
        guard let list = top["stages"] as? [Any] else { throw RecipeError("\(source): 'stages' must be a list of stages") }
        var stages: [Stage] = []
        for (i, item) in list.enumerated() {
            let where_ = "\(source): stage \(i + 1)"
            guard let map = item as? [String: Any] else { throw RecipeError("\(where_): expected a map with 'pass'") }
            guard let pass = map["pass"] as? String else { throw RecipeError("\(where_): 'pass' must name a pass") }
            let label = "\(where_) (\(pass))"
            for key in map.keys.sorted() where !["pass", "targets", "ignore", "parameters", "overrides"].contains(key) {
                throw RecipeError("\(label): unknown key '\(key)' (expected pass, targets, ignore, parameters, overrides)")
            }
            var stage = Stage(pass: pass)
            stage.targets = try Self.strings(map["targets"], "targets", label)
            stage.ignore = try Self.strings(map["ignore"], "ignore", label)
            stage.parameters = try Self.parameters(map["parameters"], label)
            if let overrides = map["overrides"] {
                guard let items = overrides as? [Any] else { throw RecipeError("\(label): 'overrides' must be a list") }
                for (j, o) in items.enumerated() {
                    let olabel = "\(label): override \(j + 1)"
                    guard let omap = o as? [String: Any] else { throw RecipeError("\(olabel): expected a map with targets and parameters") }
                    for key in omap.keys.sorted() where !["targets", "parameters"].contains(key) {
                        throw RecipeError("\(olabel): unknown key '\(key)' (expected targets, parameters)")
                    }
                    let targets = try Self.strings(omap["targets"], "targets", olabel)
                    guard !targets.isEmpty else { throw RecipeError("\(olabel): 'targets' must name at least one layer") }
                    stage.overrides.append(Override(targets: targets, parameters: try Self.parameters(omap["parameters"], olabel)))
                }
            }
            stages.append(stage)
        }
        self.init(stages: stages, source: source)
        _ = try resolve()
    }

    /// The largest recipe read, the deepest nesting of flow collections, and the most nodes its aliases may expand to:
    /// a recipe is a few stages, and a "billion laughs" document of nested aliases expands a few hundred bytes into
    /// gigabytes when loaded.
    static let maxDocumentBytes = 1 << 20
    static let maxFlowDepth = 64
    static let maxNodes = 100_000

    /// Refuses a document too large, too deeply nested, or whose aliases expand too far, before it is loaded: the
    /// composed node tree shares each anchored node, so counting its expansion with a budget costs at most the budget.
    static func checkSize(_ yaml: String, source: String) throws {
        guard yaml.utf8.count <= maxDocumentBytes else { throw RecipeError("\(source): larger than \(maxDocumentBytes) bytes") }
        var depth = 0
        for byte in yaml.utf8 {
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { depth += 1 }
            if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") { depth = max(depth - 1, 0) }
            guard depth <= maxFlowDepth else { throw RecipeError("\(source): collections nested deeper than \(maxFlowDepth)") }
        }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch {
            throw RecipeError("\(source): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? ""))")
        }
        var budget = maxNodes
        func count(_ node: Node) -> Bool {
            budget -= 1
            guard budget >= 0 else { return false }
            switch node {
            case .scalar, .alias: return true
            case .sequence(let items): return items.allSatisfy(count)
            case .mapping(let pairs): return pairs.allSatisfy { count($0.key) && count($0.value) }
            }
        }
        if let node, !count(node) {
            throw RecipeError("\(source): expands to more than \(maxNodes) values (aliases nested in aliases?)")
        }
    }

    private static func strings(_ value: Any?, _ key: String, _ label: String) throws -> [String] {
        guard let value else { return [] }
        if let s = value as? String { return [s] }
        guard let list = value as? [Any] else { throw RecipeError("\(label): '\(key)' must be a list of patterns") }
        return try list.map { item in
            guard let s = item as? String else { throw RecipeError("\(label): '\(key)' must be a list of patterns, has \(item)") }
            return s
        }
    }

    private static func parameters(_ value: Any?, _ label: String) throws -> [String: ParameterValue] {
        guard let value else { return [:] }
        guard let map = value as? [String: Any] else { throw RecipeError("\(label): 'parameters' must be a map") }
        var result: [String: ParameterValue] = [:]
        for key in map.keys.sorted() {
            guard let v = map[key].flatMap(ParameterValue.init(any:)) else {
                throw RecipeError("\(label): parameter '\(key)' must be a number, true/false or a string")
            }
            if case .double(let d) = v, !d.isFinite { throw RecipeError("\(label): parameter '\(key)' = \(d) is not a finite number") }
            result[key] = v
        }
        return result
    }
}

extension Recipe {
    /// The one-stage recipe that command-line flags describe: `flags` maps parameter keys (bits, group_size,
    /// symmetric, clip, act_order, dampening, alpha) to the values given. A key the method does not take throws,
    /// naming the flag (`--alpha does not apply to gptq`); `group_size` becomes `block_size` for nf4/fp4.
    public static func fromFlags(method: String, flags: [String: ParameterValue], ignore: [String] = [],
                                 targets: [String] = [], registry: PassRegistry = .standard) throws -> Recipe {
        guard let type = registry.type(named: method) else {
            throw RecipeError("--method: unknown method '\(method)' (known: \(registry.names.joined(separator: ", ")))")
        }
        let known = Set(registry.parameterKeys(of: method))
        var parameters: [String: ParameterValue] = [:]
        for (key, value) in flags {
            var key = key
            if key == "group_size" && !known.contains(key) && known.contains("block_size") { key = "block_size" }
            guard known.contains(key) else {
                let takes = known.isEmpty ? "no parameters" : known.sorted().joined(separator: ", ")
                throw RecipeError("--\(key.replacingOccurrences(of: "_", with: "-")) does not apply to \(method) (it takes \(takes))")
            }
            parameters[key] = value
        }
        let recipe = Recipe(stages: [Stage(pass: type.name, targets: targets, ignore: ignore, parameters: parameters)], source: "flags")
        _ = try recipe.resolve(registry: registry)
        return recipe
    }
}
