/// An operator attribute value (GB/T 42382.2 §6.1, Table 3: `map<string, Attribute>`).
public enum Attribute: Sendable, Equatable, Hashable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case ints([Int])
    case floats([Double])
    case strings([String])

    /// The kind of value, as operator schemas declare it.
    public enum Kind: String, Codable, Sendable {
        case int, float, string, bool, ints, floats, strings
    }

    public var kind: Kind {
        switch self {
        case .int: .int
        case .float: .float
        case .string: .string
        case .bool: .bool
        case .ints: .ints
        case .floats: .floats
        case .strings: .strings
        }
    }

    public var int: Int? { if case .int(let v) = self { v } else { nil } }
    /// A float attribute; an int is accepted where a float is wanted.
    public var double: Double? {
        switch self {
        case .float(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }
    public var string: String? { if case .string(let v) = self { v } else { nil } }
    public var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var ints: [Int]? { if case .ints(let v) = self { v } else { nil } }
}

// Serialized as {"int": 3}, {"float": 1e-5}, … so the kind survives a round trip exactly.
extension Attribute: Codable {
    private enum Key: String, CodingKey { case int, float, string, bool, ints, floats, strings }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        guard let key = c.allKeys.first, c.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "an attribute has exactly one of int, float, string, bool, ints, floats, strings"))
        }
        switch key {
        case .int: self = .int(try c.decode(Int.self, forKey: key))
        case .float: self = .float(try c.decode(Double.self, forKey: key))
        case .string: self = .string(try c.decode(String.self, forKey: key))
        case .bool: self = .bool(try c.decode(Bool.self, forKey: key))
        case .ints: self = .ints(try c.decode([Int].self, forKey: key))
        case .floats: self = .floats(try c.decode([Double].self, forKey: key))
        case .strings: self = .strings(try c.decode([String].self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .int(let v): try c.encode(v, forKey: .int)
        case .float(let v): try c.encode(v, forKey: .float)
        case .string(let v): try c.encode(v, forKey: .string)
        case .bool(let v): try c.encode(v, forKey: .bool)
        case .ints(let v): try c.encode(v, forKey: .ints)
        case .floats(let v): try c.encode(v, forKey: .floats)
        case .strings(let v): try c.encode(v, forKey: .strings)
        }
    }
}
