/// A parsed JSON document (RFC 8259), kept as a tree so that decoding can name the path of any fault.
///
/// Foundation's `JSONDecoder` on Linux reports a wrong number type or a syntax error only as "not valid JSON",
/// with no path and no position; a graph file from elsewhere deserves better, so the representation reads its own JSON.
indirect enum JSONNode: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as written, converted when the reader knows the type it wants.
    case number(String)
    case string(String)
    case array([JSONNode])
    case object(JSONObject)

    /// What the value is, for messages ("found a string").
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let text): "the number \(text)"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// An object's members in file order, with lookup by key (keys are unique: the parser rejects duplicates).
struct JSONObject: Sendable, Equatable {
    var keys: [String] = []
    var members: [String: JSONNode] = [:]
    subscript(key: String) -> JSONNode? { members[key] }
}

/// A syntax fault: where it is (1-based line and column) and what was expected.
struct JSONSyntaxError: Error, CustomStringConvertible {
    let line: Int
    let column: Int
    let reason: String
    var description: String { "line \(line), column \(column): \(reason)" }
}

/// A strict recursive-descent JSON parser with a nesting limit (so hostile input cannot exhaust the stack).
struct JSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private let maxDepth: Int

    /// Parses one JSON value filling the whole input (surrounding whitespace allowed).
    static func parse(_ bytes: [UInt8], maxDepth: Int) throws -> JSONNode {
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth)
        // A byte-order mark is not JSON, but editors write one; skip it.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }
        p.skipWhitespace()
        let value = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.fault("unexpected \(p.describeCurrent()) after the document") }
        return value
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws -> JSONNode {
        guard i < bytes.count else { throw fault("unexpected end of input, expected a value") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fault("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func object(depth: Int) throws -> JSONNode {
        guard depth <= maxDepth else { throw fault("nested deeper than \(maxDepth) levels") }
        i += 1
        var object = JSONObject()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { i += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else { throw fault("unexpected \(describeCurrent()), expected a key in quotes") }
            let keyStart = i
            let key = try string()
            guard object.members[key] == nil else {
                i = keyStart
                throw fault("key '\(key)' appears twice in one object")
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw fault("unexpected \(describeCurrent()), expected ':' after key '\(key)'") }
            i += 1
            skipWhitespace()
            object.keys.append(key)
            object.members[key] = try value(depth: depth)
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { i += 1; continue }
            if peek(UInt8(ascii: "}")) { i += 1; return .object(object) }
            throw fault("unexpected \(describeCurrent()), expected ',' or '}'")
        }
    }

    private mutating func array(depth: Int) throws -> JSONNode {
        guard depth <= maxDepth else { throw fault("nested deeper than \(maxDepth) levels") }
        i += 1
        var elements: [JSONNode] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { i += 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { i += 1; continue }
            if peek(UInt8(ascii: "]")) { i += 1; return .array(elements) }
            throw fault("unexpected \(describeCurrent()), expected ',' or ']'")
        }
    }

    private mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w else {
            throw fault("unexpected \(describeCurrent()), expected a value")
        }
        i += w.count
    }

    // MARK: - Numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?

    private mutating func number() throws -> String {
        let start = i
        if peek(UInt8(ascii: "-")) { i += 1 }
        if peek(UInt8(ascii: "0")) {
            i += 1
        } else {
            guard digits() > 0 else { throw fault("a number needs a digit after '-'") }
        }
        if peek(UInt8(ascii: ".")) {
            i += 1
            guard digits() > 0 else { throw fault("a number needs a digit after '.'") }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            i += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { i += 1 }
            guard digits() > 0 else { throw fault("a number needs a digit in its exponent") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func digits() -> Int {
        let start = i
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        return i - start
    }

    // MARK: - Strings

    private mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fault("unterminated string") }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fault("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                i += 1
                try escape(into: &out)
            case 0..<0x20:
                throw fault("a control character (0x\(String(b, radix: 16))) must be escaped inside a string")
            default:
                out.append(b)
                i += 1
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws {
        guard i < bytes.count else { throw fault("unterminated string") }
        let c = bytes[i]
        i += 1
        let simple: [UInt8: UInt8] = [UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F,
                                      UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A,
                                      UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09]
        if let byte = simple[c] { out.append(byte); return }
        guard c == UInt8(ascii: "u") else { i -= 1; throw fault("unknown escape '\\\(Character(Unicode.Scalar(c)))'") }
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            // A high surrogate must be followed by an escaped low one.
            guard bytes.count - i >= 2, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                throw fault("a lone surrogate \\u\(String(scalar, radix: 16))")
            }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fault("a lone surrogate \\u\(String(scalar, radix: 16))") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let u = Unicode.Scalar(scalar) else { throw fault("a lone surrogate \\u\(String(scalar, radix: 16))") }
        out.append(contentsOf: Array(String(Character(u)).utf8))
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - i >= 4, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
            throw fault("\\u needs four hex digits")
        }
        i += 4
        return v
    }

    // MARK: - Helpers

    private func peek(_ b: UInt8) -> Bool { i < bytes.count && bytes[i] == b }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        return b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    private func fault(_ reason: String) -> JSONSyntaxError {
        var line = 1, column = 1
        for b in bytes[..<min(i, bytes.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return JSONSyntaxError(line: line, column: column, reason: reason)
    }
}
