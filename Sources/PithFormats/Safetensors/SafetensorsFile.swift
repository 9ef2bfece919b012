import Foundation
import PithTensor

/// A safetensors file, memory-mapped: the JSON header is parsed and checked at open, tensor bytes are touched
/// only when read.
///
/// Layout: u64 little-endian header length N, N bytes of JSON (possibly space-padded), then the data region that
/// every `data_offsets` pair is relative to.
public final class SafetensorsFile: @unchecked Sendable {
    public let url: URL
    /// Tensor descriptions, sorted by offset.
    public let tensors: [SafetensorsTensorInfo]
    /// The header's `__metadata__` (string to string), empty when absent.
    public let metadata: [String: String]
    /// Absolute offset where the data region starts (8 + header length).
    public let dataOffset: Int
    public let file: MappedFile

    private let index: [String: Int]

    /// A header larger than this is refused as corrupt (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    /// Maps the file at `url` and parses and checks its header.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        func fault(_ kind: SafetensorsError.Kind, _ message: String) -> SafetensorsError {
            SafetensorsError(path: path, kind: kind, message)
        }
        do { file = try MappedFile(url: url) } catch {
            throw fault(.io, "\(error)".replacingOccurrences(of: "\(path): ", with: ""))
        }
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw fault(.truncated, "file has \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let rawLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard rawLength <= UInt64(Self.maxHeaderBytes) else {
            throw fault(.invalidHeader, "header length \(rawLength) exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        let headerLength = Int(rawLength)
        guard headerLength <= bytes.count - 8 else {
            throw fault(.truncated, "header length \(headerLength) runs past end of file (size \(bytes.count))")
        }
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw fault(.invalidHeader, "header does not start with '{'")
        }
        dataOffset = 8 + headerLength
        let dataSize = bytes.count - dataOffset

        let json: JSONValue
        do {
            json = try JSONValue.parse(Data(UnsafeRawBufferPointer(rebasing: bytes[8..<dataOffset])))
        } catch {
            throw fault(.invalidHeader, "header is not valid JSON")
        }
        guard let entries = json.object else { throw fault(.invalidHeader, "header is not a JSON object") }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(entries.count)
        for (name, entry) in entries {
            if name == "__metadata__" {
                guard let members = entry.object else { throw fault(.invalidHeader, "__metadata__ is not an object") }
                for (k, v) in members {
                    guard let s = v.string else { throw fault(.invalidHeader, "__metadata__ value '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            tensors.append(try Self.tensor(name, entry, dataOffset: dataOffset, dataSize: dataSize, fault: fault))
        }
        tensors.sort { ($0.offset, $0.name) < ($1.offset, $1.name) }
        var previous: SafetensorsTensorInfo?
        for t in tensors where t.byteCount > 0 {
            if let p = previous, t.offset < p.offset + p.byteCount {
                throw fault(.invalidTensor, "tensor '\(t.name)' data at offset \(t.offset - dataOffset) overlaps tensor '\(p.name)'")
            }
            previous = t
        }
        self.tensors = tensors
        self.metadata = metadata
        index = Dictionary(tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The description of the tensor called `name`, if the file has one.
    public func tensor(named name: String) -> SafetensorsTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The bytes of `info`'s tensor, borrowed from the mapping (checked at open; an info from another file that
    /// does not fit this one yields empty bytes rather than a trap).
    public func data(for info: SafetensorsTensorInfo) -> TensorData {
        let bytes = file.slice(offset: info.offset, count: info.byteCount) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        return TensorData(borrowing: bytes, owner: file)
    }

    private static func tensor(_ name: String, _ entry: JSONValue, dataOffset: Int, dataSize: Int,
                               fault: (SafetensorsError.Kind, String) -> SafetensorsError) throws -> SafetensorsTensorInfo {
        guard let dtypeName = entry["dtype"]?.string else { throw fault(.invalidTensor, "tensor '\(name)' has no dtype string") }
        guard let dtype = SafetensorsDType.byName[dtypeName] else {
            throw fault(.invalidTensor, "tensor '\(name)' has dtype '\(dtypeName)', which is not supported")
        }
        guard let shapeValues = entry["shape"]?.array else { throw fault(.invalidTensor, "tensor '\(name)' has no shape array") }
        var shape: [Int] = []
        for v in shapeValues {
            guard case .int(let d) = v, d >= 0 else {
                throw fault(.invalidTensor, "tensor '\(name)' has shape entry \(v), not a non-negative integer")
            }
            shape.append(d)
        }
        guard let offsets = entry["data_offsets"]?.array, offsets.count == 2,
              case .int(let begin) = offsets[0], case .int(let end) = offsets[1], begin >= 0, begin <= end
        else {
            throw fault(.invalidTensor, "tensor '\(name)' data_offsets is not [begin, end] with 0 ≤ begin ≤ end")
        }
        guard end <= dataSize else {
            throw fault(.invalidTensor, "tensor '\(name)' data [\(begin), \(end)) runs past the data region (\(dataSize) bytes)")
        }
        guard let expected = SafetensorsDType.byteCount(shape: shape, dtype: dtype) else {
            throw fault(.invalidTensor, "tensor '\(name)' shape \(shape) overflows")
        }
        guard end - begin == expected else {
            throw fault(.invalidTensor, "tensor '\(name)' spans \(end - begin) bytes but \(dtypeName) \(shape) needs \(expected)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, offset: dataOffset + begin, byteCount: expected)
    }
}
