import Foundation
import PithTensor

/// A GGUF file (version 2 or 3), memory-mapped: header, metadata and tensor descriptions parsed and checked at open,
/// tensor bytes touched only when read.
public final class GGUFFile: @unchecked Sendable {
    public let url: URL
    public let version: UInt32
    /// Alignment of the data section and of every tensor in it: `general.alignment`, or 32.
    public let alignment: Int
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    /// Tensor descriptions in file order.
    public let tensors: [GGUFTensorInfo]
    /// Absolute offset where the data section starts.
    public let dataOffset: Int
    public let file: MappedFile

    private let index: [String: Int]

    /// The four bytes every GGUF file starts with.
    static let magic: [UInt8] = Array("GGUF".utf8)
    /// Tensors have at most this many dimensions (ggml's GGML_MAX_DIMS).
    static let maxDimensions = 4
    static let defaultAlignment = 32

    /// Maps the file at `url` and parses and checks everything but the tensor bytes.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        do { file = try MappedFile(url: url) } catch {
            throw GGUFError(path: path, kind: .io, "\(error)".replacingOccurrences(of: "\(path): ", with: ""))
        }
        var c = GGUFCursor(bytes: file.bytes, path: path)

        // MARK: Header
        guard file.bytes.count >= 4 else {
            throw c.error(.truncated, "file has \(file.bytes.count) bytes, too short for the GGUF magic")
        }
        guard Array(file.bytes[0..<4]) == Self.magic else {
            let shown = file.bytes[0..<4].map { String(format: "%02x", $0) }.joined(separator: " ")
            throw c.error(.badMagic, "not a GGUF file (magic bytes \(shown), expected 47 47 55 46 \"GGUF\")")
        }
        _ = try c.load(UInt32.self, "magic")
        version = try c.load(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            let hint = version.byteSwapped == 2 || version.byteSwapped == 3 ? " (a big-endian file; only little-endian is read)" : ""
            throw c.error(.unsupportedVersion, "GGUF version \(version) is not supported; only versions 2 and 3 are\(hint)")
        }
        // A key takes at least 8 (length) + 4 (type) + 1 bytes; a tensor info at least 8 + 4 + 4 + 8.
        let tensorCount = try c.count("tensor count", minItemBytes: 24)
        let kvCount = try c.count("metadata count", minItemBytes: 13)

        // MARK: Metadata
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        metadata.reserveCapacity(kvCount)
        keys.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let keyOffset = c.position
            let key = try c.string("key of metadata entry \(i)")
            let typeID = try c.load(UInt32.self, "value type of '\(key)'")
            let value = try c.value(typeID: typeID, key: key)
            guard metadata.updateValue(value, forKey: key) == nil else {
                throw c.error(.invalidMetadata, "metadata key '\(key)' at offset \(keyOffset) appears twice")
            }
            keys.append(key)
        }
        self.metadata = metadata
        metadataKeys = keys

        alignment = try Self.alignment(metadata["general.alignment"], cursor: c)

        // MARK: Tensor infos (offsets relative to the data section until it is known)
        var raw: [(name: String, dims: [Int], type: GGMLType, relative: Int, bytes: Int)] = []
        raw.reserveCapacity(tensorCount)
        var index: [String: Int] = [:]
        index.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let name = try c.string("name of tensor \(i)")
            let info = try Self.tensorInfo(name: name, cursor: &c)
            guard index.updateValue(i, forKey: name) == nil else {
                throw c.error(.invalidTensor, "tensor name '\(name)' appears twice")
            }
            raw.append((name, info.dims, info.type, info.relative, info.bytes))
        }
        self.index = index

        // MARK: Data section
        let (padded, o) = c.position.addingReportingOverflow(alignment - 1)
        guard !o else { throw c.error(.invalidTensor, "data section offset overflows") }
        dataOffset = padded / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for t in raw {
            guard t.relative % alignment == 0 else {
                throw c.error(.invalidTensor, "tensor '\(t.name)' data offset \(t.relative) is not a multiple of the alignment \(alignment)")
            }
            let (absolute, o1) = dataOffset.addingReportingOverflow(t.relative)
            guard !o1, file.slice(offset: absolute, count: t.bytes) != nil else {
                throw c.error(.invalidTensor, "tensor '\(t.name)' data [offset \(absolute), \(t.bytes) bytes] runs past end of file (size \(file.bytes.count))")
            }
            tensors.append(GGUFTensorInfo(name: t.name, dimensions: t.dims, type: t.type, offset: absolute, byteCount: t.bytes))
        }
        try Self.checkNoOverlap(tensors, cursor: c)
        self.tensors = tensors
    }

    /// The description of the tensor called `name`, if the file has one.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// The bytes of `info`'s tensor, borrowed from the mapping (checked at open; an info from another file that
    /// does not fit this one yields empty bytes rather than a trap).
    public func data(for info: GGUFTensorInfo) -> TensorData {
        let bytes = file.slice(offset: info.offset, count: info.byteCount) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        return TensorData(borrowing: bytes, owner: file)
    }

    // MARK: - Checks

    private static func alignment(_ value: GGUFValue?, cursor c: GGUFCursor) throws -> Int {
        guard let value else { return defaultAlignment }
        // gguf.md types general.alignment as uint32; other integer types are accepted, nothing else.
        guard let a = value.int else {
            throw c.error(.invalidMetadata, "general.alignment is \(value), not an integer")
        }
        guard a > 0, a & (a - 1) == 0, a <= 1 << 30 else {
            throw c.error(.invalidMetadata, "general.alignment \(a) is not a power of two (up to 2^30)")
        }
        return a
    }

    private static func tensorInfo(name: String, cursor c: inout GGUFCursor) throws
        -> (dims: [Int], type: GGMLType, relative: Int, bytes: Int)
    {
        let nDims = try c.load(UInt32.self, "dimension count of tensor '\(name)'")
        guard nDims <= maxDimensions else {
            throw c.error(.invalidTensor, "tensor '\(name)' has \(nDims) dimensions; at most \(maxDimensions) are allowed")
        }
        var dims: [Int] = []
        for _ in 0..<nDims {
            let d = try c.load(UInt64.self, "dimensions of tensor '\(name)'")
            guard let di = Int(exactly: d), di > 0 else {
                throw c.error(.invalidTensor, "tensor '\(name)' has dimension \(d); every dimension must be positive and fit in Int")
            }
            dims.append(di)
        }
        let typeID = try c.load(UInt32.self, "type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: typeID) else {
            throw c.error(.invalidTensor, "tensor '\(name)' has unknown ggml type id \(typeID)")
        }
        let rawOffset = try c.load(UInt64.self, "data offset of tensor '\(name)'")
        guard let relative = Int(exactly: rawOffset) else {
            throw c.error(.invalidTensor, "tensor '\(name)' data offset \(rawOffset) does not fit in Int")
        }
        switch GGUFTensorInfo.byteCount(type: type, dimensions: dims) {
        case .failure(let fault):
            throw c.error(.invalidTensor, "tensor '\(name)' (\(type.name), dims \(dims)) \(fault)")
        case .success(let bytes):
            return (dims, type, relative, bytes)
        }
    }

    private static func checkNoOverlap(_ tensors: [GGUFTensorInfo], cursor c: GGUFCursor) throws {
        let sorted = tensors.sorted { $0.offset < $1.offset }
        var previous: GGUFTensorInfo?
        for t in sorted {
            if let p = previous, t.offset < p.offset + p.byteCount {
                throw c.error(.invalidTensor, "tensor '\(t.name)' data at offset \(t.offset) overlaps tensor '\(p.name)' [offset \(p.offset), \(p.byteCount) bytes]")
            }
            previous = t
        }
    }
}
