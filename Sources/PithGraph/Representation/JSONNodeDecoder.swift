/// A `Decoder` over a parsed `JSONNode`: every fault is a `DecodingError` whose coding path is the JSON path.
///
/// Numbers convert exactly or not at all: 1.5 is not an integer, 1e400 is not a number, 2^63 is not an `Int`.
struct JSONNodeDecoder: Decoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ node: JSONNode, codingPath: [any CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = node else { throw mismatch([String: Any].self, "an object", node, codingPath) }
        return KeyedDecodingContainer(Keyed<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = node else { throw mismatch([Any].self, "an array", node, codingPath) }
        return Unkeyed(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(node: node, codingPath: codingPath)
    }
}

// MARK: - Keys for array elements

struct JSONIndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

// MARK: - Scalars

private func mismatch(_ type: Any.Type, _ expected: String, _ node: JSONNode, _ path: [any CodingKey]) -> DecodingError {
    if node == .null {
        return .valueNotFound(type, .init(codingPath: path, debugDescription: "expected \(expected), found null"))
    }
    return .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(expected), found \(node.kindName)"))
}

private func bool(_ node: JSONNode, _ path: [any CodingKey]) throws -> Bool {
    guard case .bool(let b) = node else { throw mismatch(Bool.self, "true or false", node, path) }
    return b
}

private func string(_ node: JSONNode, _ path: [any CodingKey]) throws -> String {
    guard case .string(let s) = node else { throw mismatch(String.self, "a string", node, path) }
    return s
}

private func floating<T: BinaryFloatingPoint & LosslessStringConvertible>(_ node: JSONNode, _ path: [any CodingKey]) throws -> T {
    guard case .number(let text) = node else { throw mismatch(T.self, "a number", node, path) }
    guard let v = T(text), v.isFinite else {
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "the number \(text) is out of range"))
    }
    return v
}

private func integer<T: FixedWidthInteger>(_ node: JSONNode, _ path: [any CodingKey]) throws -> T {
    guard case .number(let text) = node else { throw mismatch(T.self, "an integer", node, path) }
    if let v = T(text) { return v }
    // An integral value written with a fraction or exponent (2.0, 1e3) is still that integer.
    if let d = Double(text), d.isFinite, d.rounded() == d {
        if let v = T(exactly: d) { return v }
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "the integer \(text) is out of range"))
    }
    if text.allSatisfy({ $0 == "-" || $0.isASCII && $0.isNumber }) {
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "the integer \(text) is out of range"))
    }
    throw DecodingError.typeMismatch(T.self, .init(codingPath: path, debugDescription: "expected an integer, found \(text)"))
}

// MARK: - Containers

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func node(_ key: Key) throws -> JSONNode {
        guard let n = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return n
    }
    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try node(key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try bool(node(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try string(node(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try floating(node(key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try floating(node(key), path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(node(key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(node(key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(node(key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(node(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(node(key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(node(key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(node(key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(node(key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(node(key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(node(key), path(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: JSONNodeDecoder(node(key), codingPath: path(key)))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONNodeDecoder(node(key), codingPath: path(key)).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONNodeDecoder(node(key), codingPath: path(key)).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder {
        JSONNodeDecoder(object["super"] ?? .null, codingPath: codingPath)
    }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONNodeDecoder(object[key.stringValue] ?? .null, codingPath: path(key))
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let elements: [JSONNode]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONNode], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var path: [any CodingKey] { codingPath + [JSONIndexKey(intValue: currentIndex)] }

    private mutating func next<T>(_ body: (JSONNode, [any CodingKey]) throws -> T) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "the array ends early"))
        }
        let value = try body(elements[currentIndex], path)
        currentIndex += 1
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(bool) }
    mutating func decode(_ type: String.Type) throws -> String { try next(string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(floating) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(floating) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(integer) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(integer) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(integer) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(integer) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(integer) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(integer) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(integer) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(integer) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(integer) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(integer) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try next { node, path in try T(from: JSONNodeDecoder(node, codingPath: path)) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next { node, path in try JSONNodeDecoder(node, codingPath: path).container(keyedBy: type) }
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next { node, path in try JSONNodeDecoder(node, codingPath: path).unkeyedContainer() }
    }
    mutating func superDecoder() throws -> any Decoder {
        try next { node, path in JSONNodeDecoder(node, codingPath: path) }
    }
}

private struct Single: SingleValueDecodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { node == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(node, codingPath) }
    func decode(_ type: String.Type) throws -> String { try string(node, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try floating(node, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try floating(node, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try integer(node, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(node, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(node, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(node, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(node, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(node, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(node, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(node, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(node, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(node, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: JSONNodeDecoder(node, codingPath: codingPath)) }
}
