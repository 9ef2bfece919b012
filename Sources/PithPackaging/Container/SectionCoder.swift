import PithTensor

/// How a tensor-data section splits into tensors, for per-tensor entropy coding.
public struct TensorLayout: Sendable {
    public struct Tensor: Sendable {
        public var offset: Int
        public var size: Int
        /// The GGML type name of the tensor's encoding (Q4_1, Q8_0, F32 …).
        public var type: String
        public init(offset: Int, size: Int, type: String) {
            self.offset = offset
            self.size = size
            self.type = type
        }
    }
    public var tensors: [Tensor]
    public init(tensors: [Tensor]) { self.tensors = tensors }

    /// The section cut into consecutive regions: each tensor, and the bytes between (alignment padding), in order.
    func regions(size: Int) throws -> [(range: Range<Int>, type: GGMLType?)] {
        var regions: [(Range<Int>, GGMLType?)] = []
        var cursor = 0
        for t in tensors.sorted(by: { $0.offset < $1.offset }) {
            guard t.offset >= cursor, t.size >= 0, t.offset <= size, t.size <= size - t.offset else {
                throw PackageError.malformed("tensor layout", "tensors overlap or lie outside the section")
            }
            if t.offset > cursor { regions.append((cursor..<t.offset, nil)) }
            let type = GGMLType.allCases.first { $0.name.uppercased() == t.type.uppercased() }
            regions.append((t.offset..<(t.offset + t.size), type))
            cursor = t.offset + t.size
        }
        if cursor < size { regions.append((cursor..<size, nil)) }
        return regions
    }
}

/// Codes and decodes section bytes: zstd for anything, per-tensor rANS (`TensorCoder`) for tensor data.
///
/// A tensor-coded section is the layout's regions in order, each `method u8 · coded_size u64 · bytes`, with method
/// 0 = raw, 1 = zstd, 2 = TensorCoder (the region's type comes from the tensor index). Sizes of the original regions
/// come from the layout, never from the coded bytes.
enum SectionCoder {
    static func encode(_ bytes: UnsafeRawBufferPointer, coding: SectionCoding, layout: TensorLayout?) throws -> [UInt8] {
        switch coding {
        case .none:
            return Array(bytes)
        case .zstd:
            return try Zstd.compress(bytes)
        case .tensorCoding:
            guard let layout else { return try Zstd.compress(bytes) }
            var w = ByteWriter(capacity: bytes.count)
            for region in try layout.regions(size: bytes.count) {
                let part = UnsafeRawBufferPointer(rebasing: bytes[region.range])
                var method: UInt8 = 0
                var coded = Array(part)
                if let type = region.type, let tensor = try? TensorCoder.encode(part, type: type), tensor.count < coded.count {
                    method = 2
                    coded = tensor
                } else if part.count > 64, let z = try? Zstd.compress(part), z.count < coded.count {
                    method = 1
                    coded = z
                }
                w.u8(method)
                w.u64(UInt64(coded.count))
                w.raw(coded)
            }
            return w.bytes
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, coding: SectionCoding, originalSize: Int, layout: TensorLayout?) throws -> [UInt8] {
        do {
            switch coding {
            case .none:
                return Array(bytes)
            case .zstd:
                return try Zstd.decompress(bytes, expectedSize: originalSize)
            case .tensorCoding:
                guard let layout else { return try Zstd.decompress(bytes, expectedSize: originalSize) }
                var out = [UInt8](repeating: 0, count: originalSize)
                var r = ByteReader(bytes, what: "tensor-coded section")
                for region in try layout.regions(size: originalSize) {
                    let method = try r.u8()
                    let size = try r.size("coded size")
                    let coded = try r.raw(size)
                    let decoded: [UInt8]
                    switch method {
                    case 0: decoded = coded
                    case 1: decoded = try Zstd.decompress(coded, expectedSize: region.range.count)
                    case 2:
                        guard let type = region.type else { throw PackageError.malformed("tensor-coded section", "a tensor region without a type") }
                        decoded = try coded.withUnsafeBytes { try TensorCoder.decode($0, type: type, originalSize: region.range.count) }
                    default: throw PackageError.malformed("tensor-coded section", "unknown region method \(method)")
                    }
                    guard decoded.count == region.range.count else { throw PackageError.malformed("tensor-coded section", "a region decodes to the wrong size") }
                    out.replaceSubrange(region.range, with: decoded)
                }
                guard r.offset == bytes.count else { throw PackageError.malformed("tensor-coded section", "trailing bytes") }
                return out
            }
        } catch let error as CodingError {
            throw PackageError.malformed("coded section", "\(error)")
        }
    }
}
