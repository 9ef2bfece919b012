import Foundation

/// A compression recipe (STYLE.md, "recipes are data"): stages of passes, each over the layers its `targets` match
/// and its `ignore` patterns do not, with per-layer `overrides` of its parameters.
///
/// A layer is claimed by the first stage that targets it; a stage with no targets takes every linear layer. Within a
/// stage, the last override whose targets match a layer gives its parameters (merged over the stage's).
public struct Recipe: Sendable, Equatable, Codable {
    public struct Override: Sendable, Equatable, Codable {
        public var targets: [String]
        public var parameters: [String: ParameterValue]
        public init(targets: [String], parameters: [String: ParameterValue]) {
            self.targets = targets
            self.parameters = parameters
        }
    }

    public struct Stage: Sendable, Equatable, Codable {
        public var pass: String
        public var targets: [String]
        public var ignore: [String]
        public var parameters: [String: ParameterValue]
        public var overrides: [Override]
        public init(pass: String, targets: [String] = [], ignore: [String] = [], parameters: [String: ParameterValue] = [:],
                    overrides: [Override] = []) {
            self.pass = pass
            self.targets = targets
            self.ignore = ignore
            self.parameters = parameters
            self.overrides = overrides
        }
    }

    public var stages: [Stage]
    /// Where it came from: the recipe file's path, or "flags".
    public var source: String

    public init(stages: [Stage], source: String) {
        self.stages = stages
        self.source = source
    }

    /// Every stage with its passes built (each override's parameters merged over the stage's); throws one line naming
    /// the recipe, the stage and the key.
    public func resolve(registry: PassRegistry = .standard) throws -> [ResolvedStage] {
        guard !stages.isEmpty else { throw RecipeError("\(source): the recipe has no stages") }
        return try stages.enumerated().map { i, stage in
            let label = "\(source): stage \(i + 1) (\(stage.pass))"
            do {
                let pass = try registry.make(stage.pass, parameters: stage.parameters)
                let overrides = try stage.overrides.enumerated().map { j, o in
                    do {
                        return (targets: try [TargetPattern](patterns: o.targets),
                                pass: try registry.make(stage.pass, parameters: stage.parameters.merging(o.parameters) { $1 }))
                    } catch let e as RecipeError {
                        throw RecipeError("override \(j + 1): \(e.description)")
                    }
                }
                return ResolvedStage(index: i + 1, targets: try [TargetPattern](patterns: stage.targets),
                                     ignore: try [TargetPattern](patterns: stage.ignore), pass: pass, overrides: overrides)
            } catch let e as RecipeError {
                throw RecipeError("\(label): \(e.description)")
            }
        }
    }
}

/// A recipe stage ready to run.
public struct ResolvedStage: Sendable {
    /// 1-based, as error messages and reports count.
    public let index: Int
    public let targets: [TargetPattern]
    public let ignore: [TargetPattern]
    public let pass: any CompressionPass
    public let overrides: [(targets: [TargetPattern], pass: any CompressionPass)]

    /// Whether the stage takes a layer with these paths; `isLinear` layers are taken by a stage without targets.
    public func claims(_ paths: [String], isLinear: Bool) -> Bool {
        let targeted = targets.isEmpty ? isLinear : targets.matches(any: paths)
        return targeted && !ignore.matches(any: paths)
    }

    /// The pass for a layer: the last matching override's, else the stage's.
    public func pass(for paths: [String]) -> any CompressionPass {
        overrides.last { $0.targets.matches(any: paths) }?.pass ?? pass
    }
}

extension Array where Element == ResolvedStage {
    /// The first stage claiming a layer, and its pass for it.
    public func assignment(for paths: [String], isLinear: Bool) -> (stage: ResolvedStage, pass: any CompressionPass)? {
        first { $0.claims(paths, isLinear: isLinear) }.map { ($0, $0.pass(for: paths)) }
    }
}
