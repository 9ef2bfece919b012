import Foundation
import PithFormats
import PithModels

/// The unpack flow (GB/T 42382.2 §8.3.2): read → decrypt → decode → write the directory structure of Table 57
/// (`Model/`, `Program/`, `Meta-info/`), each model in its source format — byte for byte the file that was packed —
/// or converted to the asked format (GGUF through `GGUFExporter`, a Hugging Face folder through `HuggingFaceExporter`).
public enum Unpacker {
    public enum Target: String, Sendable, CaseIterable {
        case gguf, safetensors
    }

    /// Writes the package's contents under `directory`; returns the files written, relative to it.
    ///
    /// - Parameter ggufFallback: for `target` gguf, how to store tensors whose encoding GGUF lacks (nil refuses them).
    @discardableResult
    public static func unpack(_ reader: PackageReader, to directory: URL, decryption: PackageDecryption? = nil,
                              target: Target? = nil, ggufFallback: GGUFExporter.Fallback? = nil,
                              progress: ((String) -> Void)? = nil) throws -> [String] {
        var written: [String] = []
        func write(_ relative: String, _ parts: [SectionData]) throws {
            try checkRelative(relative, reader: reader)
            let url = directory.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let out = try AtomicFileWriter(destination: url)
            for p in parts { try p.withBytes { try out.write($0) } }
            try out.commit()
            written.append(relative)
        }
        var modelSections = Set<Int>()
        for (i, header) in reader.models.enumerated() {
            let prefix = "Model/\(i)/"
            progress?(prefix)
            let indexName = reader.sections[Int(header.tensorIndexSection)].name
            let index = try wrap(reader) { try TensorIndex.decode(try reader.section(Int(header.tensorIndexSection), decryption: decryption).data, file: indexName) }
            for s in header.sectionIndices where s != ModelHeader.none { modelSections.insert(Int(s)) }
            for (j, s) in reader.sections.enumerated() where s.name.hasPrefix(prefix) { modelSections.insert(j) }
            guard let source = index.source else {
                if let target {
                    // A rewritten model (compressed, or built in memory): exported from its graph and weights.
                    written += try convert(reader, model: i, to: target, name: "model-\(i)", directory: directory, decryption: decryption,
                                       ggufFallback: ggufFallback)
                    continue
                }
                // The package's own layout, as files.
                for (j, s) in reader.sections.enumerated() where s.name.hasPrefix(prefix) {
                    let data = try reader.section(j, decryption: decryption)
                    try write("Model/\(i)/" + s.name.dropFirst(prefix.count), [data])
                }
                continue
            }
            if let target, target.rawValue != source.format {
                // Convert: load the packaged model and write it in the other format.
                let name = (source.file as NSString).deletingPathExtension
                written += try convert(reader, model: i, to: target, name: name, directory: directory, decryption: decryption,
                                       ggufFallback: ggufFallback)
                continue
            }
            let sourceHeader = try reader.section(named: source.headerSection, decryption: decryption)
            let data = try reader.section(Int(header.tensorDataSection), decryption: decryption)
            switch source.format {
            case "gguf":
                try write("Model/" + source.file, [sourceHeader, data])
            default:
                // A Hugging Face folder: the weights file, tokenizer files, and every other file it had.
                let folder = "Model/" + source.file + "/"
                try write(folder + (source.weightsFile ?? "model.safetensors"), [sourceHeader, data])
                for (j, s) in reader.sections.enumerated() where s.name.hasPrefix(prefix) {
                    let name = String(s.name.dropFirst(prefix.count))
                    if name.hasPrefix("files/") {
                        try write(folder + name.dropFirst("files/".count), [try reader.section(j, decryption: decryption)])
                    } else if name == "tokenizer.json" || name == "tokenizer_config.json" {
                        try write(folder + name, [try reader.section(j, decryption: decryption)])
                    }
                }
            }
        }
        for (j, s) in reader.sections.enumerated() where !modelSections.contains(j) {
            progress?(s.name)
            try write(s.name, [try reader.section(j, decryption: decryption)])
        }
        return written
    }

    /// Loads model `i` from the package and writes it as `target` under `Model/<name>` (a Hugging Face folder) or
    /// `Model/<name>.gguf`; returns the files written, relative to `directory`.
    static func convert(_ reader: PackageReader, model i: Int, to target: Target, name: String, directory: URL,
                        decryption: PackageDecryption?, ggufFallback: GGUFExporter.Fallback?) throws -> [String] {
        let model = try PackagedModelLoader.load(reader, model: i, decryption: decryption)
        switch target {
        case .safetensors:
            try checkRelative("Model/" + name, reader: reader)
            let folder = directory.appendingPathComponent("Model/" + name)
            do { try HuggingFaceExporter.write(model, to: folder) } catch {
                throw PackageFileError(path: reader.url.path, error: .unsupported("model \(i): \(error)"))
            }
            return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().map { "Model/\(name)/\($0)" }
        case .gguf:
            let relative = "Model/\(name).gguf"
            try checkRelative(relative, reader: reader)
            let url = directory.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            do { try GGUFExporter.export(model: model, to: url, fallback: ggufFallback) } catch {
                throw PackageFileError(path: reader.url.path, error: .unsupported("model \(i): \(error)"))
            }
            return [relative]
        }
    }

    /// A name from the package must stay inside the output folder.
    static func checkRelative(_ path: String, reader: PackageReader) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) else {
            throw PackageFileError(path: reader.url.path, error: .malformed("section name '\(path)'", "would write outside the output folder"))
        }
    }

    static func wrap<T>(_ reader: PackageReader, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PackageError { throw PackageFileError(path: reader.url.path, error: e) }
    }
}
