import Crypto
import Foundation
import PithModels

/// The pack flow (GB/T 42382.2 §8.3.1): gather the models, programs and meta-information → encrypt if asked →
/// headers → arrange the data → write.
public enum Packer {
    public struct Options {
        /// The parsed `--meta` file: `{"managementinfo": {…}, "technicalinfo": {…}}`.
        public var meta: [String: Any]?
        /// Files to carry under `Program/` (runtime scripts, converter configuration).
        public var programDirectory: URL?
        public var signingKey: Curve25519.Signing.PrivateKey?
        public var encryption: PackageEncryption?
        /// Coding of tensor data (and zstd for the other large sections when not `.none`).
        public var coding: SectionCoding = .none
        /// Model kinds, one per model (default: `.model`).
        public var kinds: [ModelHeader.Kind] = []

        public init() {}
    }

    /// Packs `models` into one package at `url`.
    @discardableResult
    public static func pack(_ models: [Model], options: Options, to url: URL, progress: ((String) -> Void)? = nil) throws -> PackageWriter.Report {
        guard !models.isEmpty else { throw PackageError.missing("nothing to pack") }
        var writer = PackageWriter()
        writer.signingKey = options.signingKey
        writer.encryption = options.encryption
        var structureHash = SHA256()
        for (i, model) in models.enumerated() {
            let kind = i < options.kinds.count ? options.kinds[i] : .model
            let (sections, entry) = try ModelPackager.sections(for: model, id: i, kind: kind, coding: options.coding)
            if case .bytes(let s)? = sections.first?.source { structureHash.update(data: s) }
            writer.sections += sections
            writer.models.append(entry)
        }
        if let dir = options.programDirectory {
            for (relative, bytes) in try files(under: dir) {
                writer.sections.append(.init(name: "Program/" + relative, source: .bytes(bytes), coding: options.coding == .none ? .none : .zstd))
            }
        }
        let hint = structureHash.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        let meta = MetaInfo.derive(models: models, packageDigestHint: hint, overrides: options.meta)
        let missing = meta.missingRequired
        guard missing.isEmpty else {
            throw PackageError.missing("managementinfo.json lacks required field(s) \(missing.joined(separator: ", ")): give them in --meta {\"managementinfo\": {…}}")
        }
        let (management, technical) = try meta.encoded()
        // Meta-information stays readable without the key, so a catalogue can list an encrypted package.
        writer.sections.append(.init(name: "Meta-info/managementinfo.json", source: .bytes(management), encrypt: false))
        writer.sections.append(.init(name: "Meta-info/technicalinfo.json", source: .bytes(technical), encrypt: false))
        return try writer.write(to: url, progress: progress)
    }

    /// Regular files under `dir`, by path relative to it, sorted.
    static func files(under dir: URL) throws -> [(String, [UInt8])] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PackageError.missing("\(dir.path): no such folder")
        }
        let root = dir.standardizedFileURL.path
        var result: [(String, [UInt8])] = []
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(root + "/"), let bytes = FileManager.default.contents(atPath: path) else { continue }
            result.append((String(path.dropFirst(root.count + 1)), Array(bytes)))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
