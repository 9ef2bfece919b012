/// Why a serialized model structure was refused: one line naming the file, the JSON path or node, and the fault.
public struct RepresentationError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// The file is larger than the reader's limit.
        case tooLarge = "too_large"
        /// Not JSON, or JSON nested deeper than the limit.
        case notJSON = "not_json"
        /// `format_version` is missing, unreadable, or of a major version this reader does not know.
        case unsupportedVersion = "unsupported_version"
        /// JSON, but not the schema: a missing field, a wrong type, an unknown enumeration value.
        case malformed
        /// The schema is followed but the graphs are not valid (unknown operator, shape mismatch, cycle …).
        case invalid
        /// The file could not be read or written.
        case io
    }

    /// The file (or a caller-given label for in-memory data).
    public let file: String
    public let kind: Kind
    /// The JSON path of the fault, e.g. `graphs[0].operators[12].attributes.epsilon`, when there is one.
    public let path: String?
    public let reason: String

    public init(file: String, kind: Kind, path: String? = nil, reason: String) {
        self.file = file
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "\(file): " + (path.map { "\($0): " } ?? "") + reason
    }
}

extension RepresentationError {
    /// A `DecodingError` as one line: the path of the fault and what was wrong there.
    static func decoding(_ error: DecodingError, file: String) -> RepresentationError {
        switch error {
        case .keyNotFound(let key, let context):
            return .init(file: file, kind: .malformed, path: jsonPath(context.codingPath + [key]), reason: "missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return .init(file: file, kind: .malformed, path: jsonPath(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .init(file: file, kind: .malformed, reason: "\(error)")
        }
    }

    /// `graphs[0].operators[12].attributes.epsilon`; keys that are not plain identifiers are quoted (`inputs["a.b"]`).
    static func jsonPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue, key is JSONIndexKey {
                path += "[\(index)]"
            } else if isIdentifier(key.stringValue) {
                path += (path.isEmpty ? "" : ".") + key.stringValue
            } else {
                path += "[\"\(key.stringValue)\"]"
            }
        }
        return path.isEmpty ? "(document)" : path
    }

    private static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}
