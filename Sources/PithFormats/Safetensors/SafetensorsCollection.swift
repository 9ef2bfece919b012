import Foundation
import PithTensor

/// The safetensors weights of a model: one file, or shards listed by a `model.safetensors.index.json`
/// (`weight_map`: tensor name → shard file), looked up by tensor name across them.
public final class SafetensorsCollection: @unchecked Sendable {
    /// The opened files, in the order first named.
    public let files: [SafetensorsFile]
    /// Every tensor name, sorted.
    public let tensorNames: [String]

    private let location: [String: Int]

    static let indexName = "model.safetensors.index.json"
    static let singleName = "model.safetensors"

    /// Opens the weights at `url`: a folder (index, or model.safetensors, or its only *.safetensors files),
    /// an index .json file, or a single .safetensors file.
    public init(url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SafetensorsError(path: url.path, kind: .missing, "no such file or folder")
        }
        if isDirectory.boolValue {
            let index = url.appendingPathComponent(Self.indexName)
            let single = url.appendingPathComponent(Self.singleName)
            if FileManager.default.fileExists(atPath: index.path) {
                (files, location) = try Self.openIndex(index)
            } else if FileManager.default.fileExists(atPath: single.path) {
                (files, location) = try Self.openFiles([single], folder: url)
            } else {
                let all = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                let shards = all.filter { $0.hasSuffix(".safetensors") }.sorted().map { url.appendingPathComponent($0) }
                guard !shards.isEmpty else {
                    throw SafetensorsError(path: url.path, kind: .missing, "no \(Self.indexName), \(Self.singleName) or other .safetensors file")
                }
                (files, location) = try Self.openFiles(shards, folder: url)
            }
        } else if url.pathExtension == "json" {
            (files, location) = try Self.openIndex(url)
        } else {
            (files, location) = try Self.openFiles([url], folder: url)
        }
        tensorNames = location.keys.sorted()
    }

    /// The description and bytes of the tensor called `name`, from whichever file holds it.
    public func tensor(named name: String) -> (info: SafetensorsTensorInfo, data: TensorData)? {
        guard let i = location[name], let info = files[i].tensor(named: name) else { return nil }
        return (info, files[i].data(for: info))
    }

    private static func openFiles(_ urls: [URL], folder: URL) throws -> ([SafetensorsFile], [String: Int]) {
        let files = try urls.map(SafetensorsFile.init(url:))
        var location: [String: Int] = [:]
        for (i, f) in files.enumerated() {
            for t in f.tensors {
                if let j = location.updateValue(i, forKey: t.name) {
                    throw SafetensorsError(path: folder.path, kind: .invalidTensor,
                                           "tensor '\(t.name)' is in both \(files[j].url.lastPathComponent) and \(f.url.lastPathComponent)")
                }
            }
        }
        return (files, location)
    }

    private static func openIndex(_ index: URL) throws -> ([SafetensorsFile], [String: Int]) {
        func fault(_ kind: SafetensorsError.Kind, _ message: String) -> SafetensorsError {
            SafetensorsError(path: index.path, kind: kind, message)
        }
        let json: JSONValue
        do { json = try JSONValue.parse(try Data(contentsOf: index)) } catch {
            throw fault(.invalidHeader, "cannot read as JSON")
        }
        guard let map = json["weight_map"]?.object else { throw fault(.invalidHeader, "has no weight_map object") }
        let folder = index.deletingLastPathComponent()
        var files: [SafetensorsFile] = []
        var fileIndex: [String: Int] = [:]
        var location: [String: Int] = [:]
        for name in map.keys.sorted() {
            guard let shard = map[name]?.string else { throw fault(.invalidHeader, "weight_map entry '\(name)' is not a file name") }
            // Shards sit beside the index; a path could reach outside the model folder.
            guard !shard.isEmpty, !shard.contains("/"), shard != "..", shard != "." else {
                throw fault(.invalidHeader, "weight_map entry '\(name)' names '\(shard)', not a file in the same folder")
            }
            let i: Int
            if let known = fileIndex[shard] {
                i = known
            } else {
                let url = folder.appendingPathComponent(shard)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw fault(.missing, "shard '\(shard)' (holding '\(name)') does not exist")
                }
                i = files.count
                files.append(try SafetensorsFile(url: url))
                fileIndex[shard] = i
            }
            guard files[i].tensor(named: name) != nil else {
                throw fault(.missing, "tensor '\(name)' is not in its shard '\(shard)'")
            }
            location[name] = i
        }
        return (files, location)
    }
}
