import Foundation

/// Writes and reads a `ModelStructure` as JSON: the representation's stable, versioned serialization
/// (docs/REPRESENTATION.md; GB/T 42382.2 §6.1). Weights are not part of it.
///
/// Export is deterministic: pretty-printed, keys sorted, so the same structure always gives the same bytes.
/// Import trusts nothing: it bounds the size and nesting of the input, checks `format_version`, names the JSON path
/// of any schema fault, and validates every graph against the operator catalogue before returning.
public struct RepresentationCodec: Sendable {
    /// Bounds on untrusted input.
    public struct Limits: Sendable {
        /// Largest document accepted. A 30-layer decoder's structure is about 0.5 MiB; 64 MiB leaves room for models
        /// a hundred times that size while keeping a hostile file from exhausting memory.
        public var maxBytes: Int
        /// Deepest nesting of arrays and objects. The schema itself needs 7 levels (document → graphs → graph →
        /// operators → operator → inputs → port list → …); the limit keeps a hostile file from exhausting the stack.
        public var maxDepth: Int

        public init(maxBytes: Int = 64 << 20, maxDepth: Int = 32) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
        }
    }

    /// The major version this reader understands; a document of any minor version of it is read.
    public static let supportedMajorVersion = 1

    public var limits: Limits
    public var catalogue: OperatorCatalogue

    public init(limits: Limits = Limits(), catalogue: OperatorCatalogue = .standard) {
        self.limits = limits
        self.catalogue = catalogue
    }

    // MARK: - Export

    /// The structure as JSON (UTF-8, the canonical layout of `JSONNode.canonicalText`, a final newline), stamped with
    /// this build's format version.
    ///
    /// Throws only for values JSON cannot hold (a non-finite float attribute), naming the path.
    public func export(_ structure: ModelStructure) throws -> Data {
        var stamped = structure
        stamped.formatVersion = ModelStructure.formatVersion
        let compact: Data
        do { compact = try JSONEncoder().encode(stamped) } catch let EncodingError.invalidValue(value, context) {
            throw RepresentationError(file: structure.name, kind: .invalid, path: RepresentationError.jsonPath(context.codingPath),
                                      reason: "\(value) cannot be written as JSON")
        }
        // Foundation's encoder gives the values (and the shortest round-trip text of each number); the layout is ours,
        // so the bytes do not depend on the platform's key order or pretty-printer.
        let tree = try JSONParser.parse(Array(compact), maxDepth: .max)
        return Data(tree.canonicalText().utf8)
    }

    // MARK: - Import

    /// Reads a structure from JSON text; `file` names the source in errors.
    /// - Throws: `RepresentationError`, one line naming the file and the JSON path or node at fault.
    public func `import`(_ data: Data, file: String = "<graph>") throws -> ModelStructure {
        guard data.count <= limits.maxBytes else {
            throw RepresentationError(file: file, kind: .tooLarge,
                                      reason: "\(data.count) bytes, more than the \(limits.maxBytes) a graph file may have")
        }
        let root: JSONNode
        do { root = try JSONParser.parse(Array(data), maxDepth: limits.maxDepth) } catch let e as JSONSyntaxError {
            throw RepresentationError(file: file, kind: .notJSON, reason: "not valid JSON: \(e)")
        }
        try checkVersion(root, file: file)
        let structure: ModelStructure
        do { structure = try ModelStructure(from: JSONNodeDecoder(root)) } catch let e as DecodingError {
            throw RepresentationError.decoding(e, file: file)
        }
        do { try GraphValidator(catalogue: catalogue).validate(structure) } catch let e as GraphValidator.Failure {
            throw RepresentationError(file: file, kind: .invalid, reason: e.description)
        }
        return structure
    }

    /// Reads a structure from a file, refusing one over the size limit before reading it; errors name the path as given.
    public func `import`(contentsOf url: URL) throws -> ModelStructure {
        let path = url.relativePath
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? nil
        guard let size else { throw RepresentationError(file: path, kind: .io, reason: "no such file") }
        guard size <= limits.maxBytes else {
            throw RepresentationError(file: path, kind: .tooLarge,
                                      reason: "\(size) bytes, more than the \(limits.maxBytes) a graph file may have")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RepresentationError(file: path, kind: .io, reason: "cannot read: \(error.localizedDescription)")
        }
        return try self.import(data, file: path)
    }

    // MARK: - Versioning

    /// Accepts `major.minor` of the supported major; refuses a newer major (whose meaning may have changed) and an older one.
    private func checkVersion(_ root: JSONNode, file: String) throws {
        guard case .object(let object) = root else {
            throw RepresentationError(file: file, kind: .malformed, path: "(document)",
                                      reason: "expected an object, found \(root.kindName)")
        }
        guard let node = object["format_version"] else {
            throw RepresentationError(file: file, kind: .unsupportedVersion, path: "format_version",
                                      reason: "missing; a Pith graph file says which format version it follows")
        }
        guard case .string(let text) = node else {
            throw RepresentationError(file: file, kind: .unsupportedVersion, path: "format_version",
                                      reason: "expected a string such as \"\(ModelStructure.formatVersion)\", found \(node.kindName)")
        }
        guard let version = Self.parseVersion(text) else {
            throw RepresentationError(file: file, kind: .unsupportedVersion, path: "format_version",
                                      reason: "'\(text)' is not a version of the form major.minor")
        }
        let supported = Self.supportedMajorVersion
        if version.major > supported {
            throw RepresentationError(file: file, kind: .unsupportedVersion, path: "format_version",
                reason: "\(text) is a newer major version than this reader understands (\(supported).x; it writes \(ModelStructure.formatVersion)); use a newer Pith")
        }
        if version.major < supported {
            throw RepresentationError(file: file, kind: .unsupportedVersion, path: "format_version",
                reason: "\(text) predates the first published format (\(supported).0)")
        }
    }

    /// `"1.2"` → (1, 2); `"1"` reads as 1.0.
    static func parseVersion(_ text: String) -> (major: Int, minor: Int)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let major = Int(parts[0]) else { return nil }
        return (major, parts.count == 2 ? Int(parts[1]) ?? 0 : 0)
    }
}
