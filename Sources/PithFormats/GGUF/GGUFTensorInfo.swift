import PithTensor

/// Where one tensor of a GGUF file lives and how it is encoded.
///
/// Only a `GGUFFile` makes these, after checking every field against the file.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Extents in ggml order: `ne0` (the contiguous one) first.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the data in the file.
    public let offset: Int
    /// Bytes of data, derived from the type table and the dimensions.
    public let byteCount: Int

    /// Number of elements: the product of the dimensions.
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// Elements per row (`ne0`), the unit that quantized blocks tile.
    public var rowLength: Int { dimensions.first ?? 1 }

    /// Rows: every dimension but the first, multiplied.
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }

    init(name: String, dimensions: [Int], type: GGMLType, offset: Int, byteCount: Int) {
        self.name = name
        self.dimensions = dimensions
        self.type = type
        self.offset = offset
        self.byteCount = byteCount
    }
}

extension GGUFTensorInfo {
    /// The byte count of a tensor of `type` and `dimensions`, or a reason it has none.
    static func byteCount(type: GGMLType, dimensions: [Int]) -> Result<Int, ByteCountFault> {
        var elements = 1
        for d in dimensions {
            guard d > 0 else { return .failure(.nonPositiveDimension(d)) }
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o else { return .failure(.overflow) }
            elements = p
        }
        let ne0 = dimensions.first ?? 1
        guard let rowBytes = type.rowBytes(elements: ne0) else {
            return .failure(.partialBlock(ne0: ne0, blockSize: type.blockSize))
        }
        let (bytes, o) = rowBytes.multipliedReportingOverflow(by: elements / ne0)
        return o ? .failure(.overflow) : .success(bytes)
    }

    enum ByteCountFault: Error, CustomStringConvertible {
        case nonPositiveDimension(Int)
        case overflow
        case partialBlock(ne0: Int, blockSize: Int)
        var description: String {
            switch self {
            case .nonPositiveDimension(let d): "has dimension \(d); every dimension must be positive"
            case .overflow: "has dimensions whose byte size overflows"
            case .partialBlock(let ne0, let b): "has ne0 = \(ne0), not a multiple of its block size \(b)"
            }
        }
    }
}
