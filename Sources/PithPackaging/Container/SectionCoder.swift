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
}

/// Codes and decodes section bytes (zstd, per-tensor rANS). Pending the coding work: only `.none` for now.
enum SectionCoder {
    static func encode(_ bytes: UnsafeRawBufferPointer, coding: SectionCoding, layout: TensorLayout?) throws -> [UInt8] {
        switch coding {
        case .none: return Array(bytes)
        default: throw PackageError.unsupported("section coding '\(coding.name)' is not built yet")
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, coding: SectionCoding, originalSize: Int, layout: TensorLayout?) throws -> [UInt8] {
        switch coding {
        case .none: return Array(bytes)
        default: throw PackageError.unsupported("section coding '\(coding.name)' is not built yet")
        }
    }
}
