import Foundation

/// What a pass did to one layer: the effective settings, the error, the time (written into the model's metadata).
public struct LayerReport: Codable, Sendable, Equatable {
    /// The operator ("blk.3.attn_q"), or the parameter for a weight quantized on its own.
    public var layer: String
    public var weight: String
    public var method: String
    /// The effective scheme ("int4-g96-asym").
    public var scheme: String
    /// The stored encoding ("Q4_1", or the scheme).
    public var encoding: String
    public var stage: Int
    /// Parameters of the pass, as JSON.
    public var parameters: String
    public var elements: Int
    public var bytes: Int
    public var bitsPerWeight: Double
    /// The pass's own loss, when it has one (GPTQ).
    public var loss: Double?
    /// Relative squared error: of the layer's output over the calibration inputs (`errorKind` "output"), or of the
    /// weights when there was no calibration ("weight").
    public var error: Double
    public var errorKind: String
    public var seconds: Double
    public var notes: [String]
    /// The fraction of the weight's values that are exactly 0 after the pass (pruning passes; nil for the others).
    public var sparsity: Double?
    /// A pruning pass's pattern ("50% unstructured", "2:4").
    public var pattern: String?

    enum CodingKeys: String, CodingKey {
        case layer, weight, method, scheme, encoding, stage, parameters, elements, bytes, loss, error, seconds, notes, sparsity, pattern
        case bitsPerWeight = "bits_per_weight", errorKind = "error_kind"
    }
}

/// Per-input-channel scaling of one group of linears (AWQ, SmoothQuant): where it was folded, or why not.
public struct EqualizationReport: Codable, Sendable, Equatable {
    public var input: String
    public var layers: [String]
    public var method: String
    /// The operator whose parameters absorbed 1/s; nil when scaling was skipped.
    public var foldedInto: String?
    public var skipped: String?
    public var alpha: Double?
    public var loss: Double?

    enum CodingKeys: String, CodingKey {
        case input, layers, method, alpha, loss, skipped
        case foldedInto = "folded_into"
    }
}

/// Everything a quantization run did, as written to `pith.quantization` in the model's metadata.
public struct QuantizationReport: Codable, Sendable, Equatable {
    public struct Calibration: Codable, Sendable, Equatable {
        public var samples: Int
        public var sequenceLength: Int
        public var tokens: Int
        public var note: String?
        enum CodingKeys: String, CodingKey {
            case samples, tokens, note
            case sequenceLength = "sequence_length"
        }
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var layers: Int
        /// Elements and bytes of the quantized weights.
        public var elements: Int
        public var bytes: Int
        public var bitsPerWeight: Double
        /// Every parameter of the model, before and after.
        public var modelBytesBefore: Int
        public var modelBytesAfter: Int
        public var seconds: Double
        enum CodingKeys: String, CodingKey {
            case layers, elements, bytes, seconds
            case bitsPerWeight = "bits_per_weight", modelBytesBefore = "model_bytes_before", modelBytesAfter = "model_bytes_after"
        }
    }

    public var recipe: Recipe
    public var calibration: Calibration?
    public var layers: [LayerReport]
    public var equalizations: [EqualizationReport]
    /// Layers a stage matched but could not quantize, with the reason.
    public var skipped: [String: String]
    public var totals: Totals

    /// The metadata key the report is stored under.
    public static let metadataKey = "pith.quantization"
    /// The key a run that pruned layers also stores it under, so a later quantization (its own report under
    /// `metadataKey`) still knows which layers are pruned and keeps their zeros.
    public static let pruningKey = "pith.pruning"

    /// The layers a pruning run pruned, by weight name, from a model's metadata (empty when it has none).
    public static func prunedWeights(in metadata: [String: String]) -> Set<String> {
        guard let json = metadata[pruningKey], let report = try? JSONDecoder().decode(QuantizationReport.self, from: Data(json.utf8)) else {
            return []
        }
        return Set(report.layers.filter { $0.sparsity != nil }.map(\.weight))
    }

    /// Compact JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
