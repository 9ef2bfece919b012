import Foundation
import PithFormats
import PithGraph
import PithModels
import PithTensor
import PithTokenizers

/// Turns a loaded model into package sections (GB/T 42382.2 §8.2.1 `Model/…`): its representation graph, a tensor
/// index, the tensor data, its tokenizer and run-time configuration — and, when the weights are still those of the
/// source file, that file's own header, so unpacking gives the source back byte for byte.
public enum ModelPackager {
    /// Sections of model `id` and its entry for the model table.
    public static func sections(for model: Model, id: Int, kind: ModelHeader.Kind = .model, coding: SectionCoding = .none) throws
        -> (sections: [PackageWriter.Section], entry: PackageWriter.ModelEntry) {
        let prefix = "Model/\(id)/"
        var sections: [PackageWriter.Section] = []
        let structure = try RepresentationCodec().export(model.structure)
        sections.append(.init(name: prefix + "structure.json", source: .bytes(Array(structure))))

        let payload = try carriedSource(model) ?? nativeLayout(model)
        let index = TensorIndex(source: payload.source.map { .init(format: $0.format, file: $0.file, headerSection: prefix + "source.header", weightsFile: $0.weightsFile) },
                                tensors: payload.entries)
        sections.append(.init(name: prefix + "tensors.json", source: .bytes(try index.encoded())))
        sections.append(.init(name: prefix + "tensors.bin", source: payload.data, coding: coding, tensorLayout: index.layout))
        if let header = payload.source?.header {
            sections.append(.init(name: prefix + "source.header", source: header, coding: coding == .none ? .none : .zstd))
        }

        var tokenizerSection: String?
        for (name, bytes) in try tokenizerFiles(model) {
            sections.append(.init(name: prefix + name, source: .bytes(bytes), coding: coding == .none ? .none : .zstd))
            if name == "tokenizer.json" { tokenizerSection = prefix + name }
        }
        let config = PackagedModelConfig(name: model.structure.name, architecture: model.structure.architecture,
                                         family: model.structure.family.rawValue, contextLength: model.contextLength,
                                         sourceFile: model.source.lastPathComponent)
        sections.append(.init(name: prefix + "config.json", source: .bytes(try config.encoded())))
        for (relative, bytes) in try folderFiles(model) {
            sections.append(.init(name: prefix + "files/" + relative, source: .bytes(bytes), coding: coding == .none ? .none : .zstd))
        }
        let parameters = model.structure.graphs.flatMap(\.variables).filter(\.isParameter).reduce(0) { $0 + ($1.elementCount ?? 0) }
        let entry = PackageWriter.ModelEntry(kind: kind, structure: prefix + "structure.json", tensorIndex: prefix + "tensors.json",
                                             tensorData: prefix + "tensors.bin", tokenizer: tokenizerSection, config: prefix + "config.json",
                                             sourceHeader: payload.source == nil ? nil : prefix + "source.header", parameterCount: parameters)
        return (sections, entry)
    }

    struct Payload {
        var source: (format: String, file: String, weightsFile: String?, header: PackageWriter.Source)?
        var entries: [TensorIndex.Entry]
        var data: PackageWriter.Source
    }

    // MARK: - Carrying the source file

    /// The source file's data region and header, when every parameter is still byte-identical to the file's tensor.
    static func carriedSource(_ model: Model) throws -> Payload? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.source.path, isDirectory: &isDirectory) else { return nil }
        if !isDirectory.boolValue && model.source.pathExtension.lowercased() == "gguf" {
            let file = try GGUFFile(url: model.source)
            let tensors = file.tensors.map { info in
                (name: info.name, graphName: info.name, type: info.type.name, shape: Array(info.dimensions.reversed()),
                 offset: info.offset, size: info.byteCount)
            }
            return try carry(model, format: "gguf", weightsFile: nil, mapped: file.file, dataOffset: file.dataOffset, tensors: tensors)
        }
        guard isDirectory.boolValue else { return nil }
        let collection = try SafetensorsCollection(url: model.source)
        guard collection.files.count == 1, let file = collection.files.first else { return nil }
        let toGraph: (String) -> String? = model.structure.architecture == "bert"
            ? { WeightNames.bertGraphName(huggingFace: $0) } : { WeightNames.llamaGraphName(huggingFace: $0) }
        let tensors = file.tensors.map { info in
            (name: info.name, graphName: toGraph(info.name) ?? info.name, type: info.dtype.rawValue.uppercased(), shape: info.shape,
             offset: info.offset, size: info.byteCount)
        }
        let root = model.source.standardizedFileURL.path
        let path = file.url.standardizedFileURL.path
        guard path.hasPrefix(root + "/") else { return nil }
        return try carry(model, format: "safetensors", weightsFile: String(path.dropFirst(root.count + 1)), mapped: file.file,
                         dataOffset: file.dataOffset, tensors: tensors)
    }

    private static func carry(_ model: Model, format: String, weightsFile: String?, mapped: MappedFile, dataOffset: Int,
                              tensors: [(name: String, graphName: String, type: String, shape: [Int], offset: Int, size: Int)]) throws -> Payload? {
        let parameters = Set(model.structure.graphs.flatMap(\.variables).filter(\.isParameter).map(\.name))
        var entries: [TensorIndex.Entry] = []
        var covered = Set<String>()
        for t in tensors {
            let isParameter = parameters.contains(t.graphName)
            if isParameter {
                // Carry the file only if the model's bytes are the file's bytes (not re-quantized, pruned …).
                guard let data = model.weights[t.graphName], let source = mapped.slice(offset: t.offset, count: t.size),
                      data.count == t.size, data.bytes.elementsEqual(source) else { return nil }
                covered.insert(t.graphName)
            }
            entries.append(.init(name: isParameter ? t.graphName : t.name, sourceName: t.name == t.graphName ? nil : t.name,
                                 type: t.type, shape: t.shape, offset: t.offset - dataOffset, size: t.size, parameter: isParameter))
        }
        guard covered == parameters,
              let header = mapped.slice(offset: 0, count: dataOffset),
              let data = mapped.slice(offset: dataOffset, count: mapped.bytes.count - dataOffset) else { return nil }
        return Payload(source: (format, model.source.lastPathComponent, weightsFile, .borrowed(header, owner: mapped)), entries: entries,
                       data: .borrowed(data, owner: mapped))
    }

    // MARK: - Native layout

    /// Every parameter once, in graph order, each 64-byte aligned.
    static func nativeLayout(_ model: Model) throws -> Payload {
        var entries: [TensorIndex.Entry] = []
        var seen = Set<String>()
        var size = 0
        for v in model.structure.graphs.flatMap(\.variables) where v.isParameter && seen.insert(v.name).inserted {
            guard let data = model.weights[v.name] else { throw PackageError.missing("parameter '\(v.name)' has no data") }
            size = PackageWriter.aligned(size)
            entries.append(.init(name: v.name, sourceName: nil, type: v.encoding.name, shape: v.shape, offset: size, size: data.count, parameter: true))
            size += data.count
        }
        var bytes = [UInt8](repeating: 0, count: size)
        bytes.withUnsafeMutableBytes { out in
            for e in entries {
                guard let data = model.weights[e.name], let base = out.baseAddress, let src = data.bytes.baseAddress else { continue }
                (base + e.offset).copyMemory(from: src, byteCount: e.size)
            }
        }
        return Payload(source: nil, entries: entries, data: .bytes(bytes))
    }

    // MARK: - Tokenizer and other files

    /// tokenizer.json (and tokenizer_config.json) as the model's folder has them, or written from the vocabulary.
    static func tokenizerFiles(_ model: Model) throws -> [(String, [UInt8])] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: model.source.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return ["tokenizer.json", "tokenizer_config.json"].compactMap { name in
                FileManager.default.contents(atPath: model.source.appendingPathComponent(name).path).map { (name, Array($0)) }
            }
        }
        guard let bpe = model.tokenizer as? BPETokenizer else { return [] }
        return [("tokenizer.json", Array(try bpe.vocabulary.tokenizerJSON())),
                ("tokenizer_config.json", Array(try bpe.vocabulary.tokenizerConfigJSON()))]
    }

    /// The other files of a Hugging Face folder (config.json, modules.json, pooling config, hidden files …), by
    /// relative path: what `FolderFiles` says a package carries.
    static func folderFiles(_ model: Model) throws -> [(String, [UInt8])] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model.source.path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        let entries = try FolderFiles.list(folder: model.source, storedElsewhere: try FolderFiles.storedInSections(folder: model.source))
        return try entries.map { entry in
            // An unreadable file is an error, not a file silently missing from the package.
            guard let bytes = FileManager.default.contents(atPath: entry.url.path) else {
                throw PackageFileError(path: entry.url.path, error: .io("cannot read the file"))
            }
            return (entry.relative, Array(bytes))
        }
    }
}

/// What a packaged model needs to run besides its graph and weights (`Model/<i>/config.json`).
public struct PackagedModelConfig: Codable, Sendable, Equatable {
    public var name: String
    public var architecture: String
    public var family: String
    public var contextLength: Int
    public var sourceFile: String

    enum CodingKeys: String, CodingKey {
        case name, architecture, family, contextLength = "context_length", sourceFile = "source_file"
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self))
    }
}
