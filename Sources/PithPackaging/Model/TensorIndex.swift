import Foundation
import PithGraph

/// Where each tensor of a model lies in its tensor-data section (`Model/<i>/tensors.json`).
///
/// When the package carries the source file (a GGUF or one safetensors file), the data section is that file's data
/// region verbatim and `source` says how to rebuild the file; otherwise tensors are laid out 64-byte aligned.
public struct TensorIndex: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        /// "gguf" or "safetensors".
        public var format: String
        /// The source file's name, to rebuild it on unpack.
        public var file: String
        /// The section holding the file's bytes before its data region.
        public var headerSection: String
        /// A Hugging Face folder's weights file, relative to the folder; absent means `model.safetensors`.
        public var weightsFile: String?
        enum CodingKeys: String, CodingKey { case format, file, headerSection = "header_section", weightsFile = "weights_file" }
    }

    public struct Entry: Codable, Sendable, Equatable {
        /// The graph's variable name; for tensors the graph does not use (buffers), the source's name.
        public var name: String
        /// The name in the source file when it differs (Hugging Face names).
        public var sourceName: String?
        /// "Q4_1", "F32" … (the GGML type name or dense dtype).
        public var type: String
        public var shape: [Int]
        /// Offset within the tensor-data section.
        public var offset: Int
        public var size: Int
        /// Whether the graph reads it (false for a source file's extra tensors, e.g. `position_ids`).
        public var parameter: Bool
        enum CodingKeys: String, CodingKey { case name, sourceName = "source_name", type, shape, offset, size, parameter }
    }

    public var formatVersion = "1.0"
    public var source: Source?
    public var tensors: [Entry]

    enum CodingKeys: String, CodingKey { case formatVersion = "format_version", source, tensors }

    public init(source: Source?, tensors: [Entry]) {
        self.source = source
        self.tensors = tensors
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    package static func decode(_ data: Data, file: String) throws -> TensorIndex {
        do {
            return try JSONDecoder().decode(TensorIndex.self, from: data)
        } catch {
            throw PackageError.malformed("section '\(file)'", "not a tensor index (\(error))")
        }
    }

    /// Checks every entry lies inside a data section of `size` bytes, in order, without overlap.
    package func validate(dataSize: Int, file: String) throws {
        var end = 0
        for t in tensors.sorted(by: { $0.offset < $1.offset }) {
            guard t.offset >= end, t.size >= 0, t.offset <= dataSize, t.size <= dataSize - t.offset else {
                throw PackageError.malformed("section '\(file)'", "tensor '\(t.name)' lies outside the data or overlaps another")
            }
            end = t.offset + t.size
        }
    }

    /// The per-tensor layout for entropy coding.
    package var layout: TensorLayout {
        TensorLayout(tensors: tensors.sorted { $0.offset < $1.offset }.map { .init(offset: $0.offset, size: $0.size, type: $0.type) })
    }
}
