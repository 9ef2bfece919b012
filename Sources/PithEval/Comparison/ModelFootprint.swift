import Foundation
import PithGraph
import PithModels

/// What a model costs to keep: bytes on disk, parameter elements and stored bits per parameter.
public struct ModelFootprint: Codable, Sendable, Equatable {
    /// Parameter elements of the main graph; a parameter that two operators read (a tied table) counts once.
    public var parameters: Int
    /// Bytes the parameters occupy in their encodings, scales included.
    public var parameterBytes: Int
    /// Bytes of the model's file, or of every file under its folder; nil when they cannot be read.
    public var sizeBytes: Int?
    /// The encoding holding the most parameter elements ("Q4_1", "f16" …).
    public var dominantEncoding: String?

    enum CodingKeys: String, CodingKey {
        case parameters
        case parameterBytes = "parameter_bytes", sizeBytes = "size_bytes", dominantEncoding = "dominant_encoding"
    }

    /// Stored bits of all parameters ÷ parameter elements (nil for a model without parameters).
    public var bitsPerWeight: Double? { parameters == 0 ? nil : Double(parameterBytes) * 8 / Double(parameters) }

    /// Counts `model`'s main graph with `GraphStatistics` and measures its source on disk.
    public init(model: Model) {
        let statistics = model.structure.mainGraph.map { GraphStatistics(graph: $0) }
        parameters = statistics?.parameters ?? 0
        parameterBytes = statistics?.bytes ?? 0
        // Ties go to the name first in order, so the choice is stable.
        dominantEncoding = statistics?.parametersByEncoding.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first?.key
        sizeBytes = Self.bytesOnDisk(model.source)
    }

    /// The size of a file, or the total of the regular files under a folder (links followed); nil when unreadable.
    public static func bytesOnDisk(_ url: URL) -> Int? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return fileSize(url) }
        guard let walker = fm.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else { return nil }
        var total = 0
        for case let file as URL in walker {
            total += fileSize(file.resolvingSymlinksInPath()) ?? 0
        }
        return total
    }

    /// Bytes of a regular file; nil for anything else.
    private static func fileSize(_ url: URL) -> Int? {
        guard let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]), values.isRegularFile == true else {
            return nil
        }
        return values.fileSize
    }
}
