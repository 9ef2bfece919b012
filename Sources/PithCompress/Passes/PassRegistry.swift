import Foundation

/// The passes by name, and how a recipe's parameter values become a configured pass.
public struct PassRegistry: Sendable {
    public let types: [any CompressionPass.Type]

    public init(_ types: [any CompressionPass.Type]) { self.types = types }

    /// Every pass Pith ships.
    public static let standard = PassRegistry([
        RTNPass.self, GPTQPass.self, AWQPass.self, SmoothQuantPass.self, W8A8Pass.self, LLMInt8Pass.self, NF4Pass.self,
        FP4Pass.self, FP8Pass.self, MagnitudePass.self, WandaPass.self, SparseGPTPass.self,
    ])

    /// The pruning passes (`pith prune --method`).
    public static let pruning = PassRegistry(standard.types.filter { $0 is any PruningPass.Type })

    public var names: [String] { types.map { $0.name } }

    /// The pass called `name`, case and `-`/`_` aside (`--method llm-int8` is the pass `llm_int8`).
    public func type(named name: String) -> (any CompressionPass.Type)? {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        return types.first { $0.name == key }
    }

    /// The pass `name` with `values` merged over its default parameters; throws one line naming the key at fault.
    public func make(_ name: String, parameters values: [String: ParameterValue]) throws -> any CompressionPass {
        guard let type = type(named: name) else {
            throw RecipeError("unknown pass '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return try Self.make(type, values)
    }

    /// Parameter keys `name` accepts, sorted.
    public func parameterKeys(of name: String) -> [String] {
        guard let type = type(named: name) else { return [] }
        return Self.keys(type)
    }

    private static func keys<P: CompressionPass>(_: P.Type) -> [String] {
        ((try? defaults(P.Parameters.self)) ?? [:]).keys.sorted()
    }

    private static func make<P: CompressionPass>(_: P.Type, _ values: [String: ParameterValue]) throws -> any CompressionPass {
        try P(parameters: try decode(P.Parameters.self, values))
    }

    static func defaults<T: PassParameters>(_: T.Type) throws -> [String: Any] {
        let data = try JSONEncoder().encode(T())
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// `values` over `T()`'s; a key `T()` does not have, or a value of the wrong kind, throws naming it.
    static func decode<T: PassParameters>(_: T.Type, _ values: [String: ParameterValue]) throws -> T {
        var merged = try defaults(T.self)
        for key in values.keys.sorted() where merged[key] == nil {
            throw RecipeError("unknown parameter '\(key)' (known: \(merged.keys.sorted().joined(separator: ", ")))")
        }
        for (key, value) in values { merged[key] = value.any }
        let data = try JSONSerialization.data(withJSONObject: merged)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.last?.stringValue ?? "?"
            let given = values[key].map { " (given \($0))" } ?? ""
            throw RecipeError("parameter '\(key)' must be \(Self.kind(type))\(given)")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.last?.stringValue ?? "?"
            throw RecipeError("parameter '\(key)': \(context.debugDescription)")
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}

/// A scalar parameter value as a recipe writes it.
public enum ParameterValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)

    var any: Any {
        switch self {
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): d
        case .string(let s): s
        }
    }

    /// A YAML/JSON scalar, or nil for lists and maps.
    public init?(any value: Any) {
        switch value {
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .int(i)
        case let d as Double: self = .double(d)
        case let s as String: self = .string(s)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): "'\(s)'"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) } else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        }
    }
}
