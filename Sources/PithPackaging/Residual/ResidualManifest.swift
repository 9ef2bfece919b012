/// The plan of a residual update (`Residual/manifest.json`): the target package's sections in order and where each
/// comes from, its model table, and for every tensor whether it equals the base's, is the base's plus a quantized
/// difference, or is carried whole.
struct ResidualManifest: Codable {
    enum Origin: String, Codable { case base, update, reconstruct }

    struct Section: Codable {
        var name: String
        var origin: Origin
        /// SHA-256 of the target's original bytes (hex).
        var digest: String
        var size: Int
        var encrypt: Bool
    }

    struct Model: Codable {
        var kind: UInt32
        var structure: String
        var tensorIndex: String
        var tensorData: String
        var tokenizer: String?
        var config: String?
        var sourceHeader: String?
        var parameterCount: Int
        enum CodingKeys: String, CodingKey {
            case kind, structure, tokenizer, config
            case tensorIndex = "tensor_index", tensorData = "tensor_data", sourceHeader = "source_header", parameterCount = "parameter_count"
        }
    }

    enum TensorKind: String, Codable { case same, delta, whole }

    struct Tensor: Codable {
        var name: String
        var kind: TensorKind
        /// The target's type ("Q4_1", "F32" …) and shape.
        var type: String
        var shape: [Int]
        /// Where it lies in the target's tensor data.
        var offset: Int
        var size: Int
        /// Where its delta (or whole bytes) lie in the update's delta section.
        var deltaOffset: Int?
        var deltaSize: Int?
        enum CodingKeys: String, CodingKey {
            case name, kind, type, shape, offset, size, deltaOffset = "delta_offset", deltaSize = "delta_size"
        }
    }

    var formatVersion = "1.0"
    var bits: Int
    var baseDigest: String
    var targetDigest: String
    var sections: [Section]
    var models: [Model]
    /// Tensors of each reconstructed data section, by section name.
    var tensors: [String: [Tensor]]
    /// The error of B′ = A + Q(Δ) against B, measured when the update was made.
    var error: ReconstructionError

    enum CodingKeys: String, CodingKey {
        case bits, sections, models, tensors, error
        case formatVersion = "format_version", baseDigest = "base_digest", targetDigest = "target_digest"
    }

    static let section = "Residual/manifest.json"
    static func deltaSection(for dataSection: String) -> String { "Residual/" + dataSection }
    static func carriedSection(for name: String) -> String { "Target/" + name }
}
