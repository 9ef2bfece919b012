import Foundation
import PithGraph
import PithModels

/// The package's Meta-info (GB/T 42382.2 §8.2.3): `managementinfo.json` (Table 62) and `technicalinfo.json`
/// (Tables 63–67). Pith fills every field it can derive from the model; the user's `--meta` file supplies or overrides
/// the rest (`{"managementinfo": {…}, "technicalinfo": {…}}`, merged key by key); required fields left empty are named.
public struct MetaInfo {
    public var management: [String: Any]
    public var technical: [String: Any]

    /// Management fields a package must have (Table 62).
    public static let requiredManagement = ["name", "identifier", "version", "provider", "task", "license"]

    /// Derives what the models tell, then merges `overrides` (the parsed `--meta` file) over it.
    public static func derive(models: [Model], packageDigestHint: String, overrides: [String: Any]? = nil) -> MetaInfo {
        let first = models.first
        let metadata = first?.structure.metadata ?? [:]
        var management: [String: Any] = [
            "format": "Pith package \(FileHeader.currentMajor).\(FileHeader.currentMinor) (GB/T 42382.2 §8)",
            "created": ISO8601DateFormatter().string(from: Date()),
            "models": models.count,
        ]
        if let m = first {
            management["name"] = metadata["general.name"] ?? m.structure.name
            management["task"] = task(of: m)
            management["identifier"] = "\(m.structure.architecture)-\(packageDigestHint)"
            if let license = metadata["general.license"] { management["license"] = license }
            if let provider = metadata["general.organization"] ?? metadata["general.author"] { management["provider"] = provider }
            if let version = metadata["general.version"] { management["version"] = version }
            if let description = metadata["general.description"] { management["description"] = description }
            if let languages = metadata["general.languages"] { management["language"] = languages }
            let stats = m.structure.mainGraph.map { GraphStatistics(graph: $0) }
            management["parameters"] = stats?.parameters ?? 0
            management["weight_bytes"] = stats?.bytes ?? 0
            if let report = stats?.report(context: m.contextLength) {
                management["flops"] = [
                    "decode_per_token_at_context": report.total.decodeFLOPs,
                    "prefill_per_token_at_context": report.total.prefillFLOPsPerToken,
                    "context": m.contextLength,
                ] as [String: Any]
            }
            management["evaluation_metrics"] = [[String: Any]]()
        }
        var meta = MetaInfo(management: management, technical: technicalInfo(models))
        if let overrides {
            if let m = overrides["managementinfo"] as? [String: Any] { meta.management = merge(meta.management, m) }
            if let t = overrides["technicalinfo"] as? [String: Any] { meta.technical = merge(meta.technical, t) }
        }
        return meta
    }

    /// Required management fields that are missing or empty.
    public var missingRequired: [String] {
        Self.requiredManagement.filter { key in
            guard let v = management[key] else { return true }
            if let s = v as? String { return s.trimmingCharacters(in: .whitespaces).isEmpty }
            return false
        }
    }

    static func task(of model: Model) -> String {
        switch model.structure.family {
        case .decoderOnly: "text-generation"
        case .encoderOnly: model.structure.mainGraph?.outputs.contains("sentence_embedding") == true ? "sentence-embedding" : "feature-extraction"
        case .encoderDecoder: "text-to-text"
        }
    }

    // MARK: - technicalinfo.json (Tables 63–67)

    static func technicalInfo(_ models: [Model]) -> [String: Any] {
        guard let m = models.first, let graph = m.structure.mainGraph else { return [:] }
        let stats = GraphStatistics(graph: graph)
        let report = stats.report(context: m.contextLength)
        let variables = graph.variablesByName
        let attention = graph.operators.first { $0.type == "attention" }
        let schema = OperatorCatalogue.standard["attention"]
        let heads = attention.flatMap { schema?.attribute("heads", of: $0)?.int } ?? 0
        let kvHeads = attention.flatMap { schema?.attribute("kv_heads", of: $0)?.int } ?? 0
        let headDim = attention.flatMap { schema?.attribute("head_dim", of: $0)?.int } ?? 0
        let embedding = graph.operators.first { $0.type == "embedding" }.flatMap { $0.input("weight") }.flatMap { variables[$0] }
        let blocks = Set(stats.perLayer.map(\.layer).filter { $0.hasPrefix("blk.") }).count
        let ffn = graph.operators.first { $0.name.hasSuffix("ffn_up") }.flatMap { $0.input("weight") }.flatMap { variables[$0]?.shape.first }
        let activationBytes = (embedding?.shape.last ?? 0) * 4 * 8 * m.contextLength
        let weightBytes = stats.bytes
        let kvBytes = report.total.kvCacheBytes
        func port(_ name: String, _ v: VariableNode?) -> [String: Any] {
            ["name": name, "dtype": v?.elementType.rawValue ?? "i32", "shape": v?.shape ?? [],
             "modality": ["token_ids", "token_type_ids", "positions", "attention_mask", "output_rows"].contains(name) ? "text (token ids)" : "tensor"]
        }
        return [
            "hardware_requirements": [
                "processor": "CPU, x86-64 or arm64",
                "accelerator": "none required",
                "minimum_memory_bytes": weightBytes + kvBytes + activationBytes,
            ] as [String: Any],
            "memory_requirements": [
                "weights_bytes": weightBytes,
                "kv_cache_bytes": kvBytes,
                "kv_cache_context": m.contextLength,
                "activations_bytes_estimate": activationBytes,
            ] as [String: Any],
            "runtime_environment": [
                "runtime": "pith",
                "runtime_version": "\(FileHeader.currentMajor).\(FileHeader.currentMinor)",
                "operating_system": "Linux",
                "libraries": ["OpenBLAS", "LAPACKE", "zstd"],
            ] as [String: Any],
            "runtime_configuration": [
                "context_length": m.contextLength,
                "threads": "one per core",
                "batch": m.structure.family == .encoderOnly ? "padded batches of sentences" : "one sequence, KV cache",
            ] as [String: Any],
            "inputs": graph.inputs.map { port($0, variables[$0]) },
            "outputs": graph.outputs.map { port($0, variables[$0]) },
            "converter_configuration": [
                "batch": "dynamic",
                "preprocessing": ["tokenizer": m.tokenizer.map { String(describing: type(of: $0)) } ?? "none",
                                  "max_length": m.contextLength] as [String: Any],
                "weight_compression": weightCompression(m, stats),
            ] as [String: Any],
            "PTM_info": [
                "base_architecture": m.structure.architecture,
                "family": m.structure.family.rawValue,
                "blocks": blocks,
                "hidden_size": embedding?.shape.last ?? 0,
                "intermediate_size": ffn ?? 0,
                "heads": heads,
                "kv_heads": kvHeads,
                "head_dim": headDim,
                "vocabulary_size": embedding?.shape.first ?? 0,
                "context_length": m.contextLength,
                "parameters": stats.parameters,
            ] as [String: Any],
        ]
    }

    /// Encodings and bits per weight; for a quantized model also what `pith quantize` did, layer by layer (the
    /// recipe, the calibration and the effective per-layer settings it left in the metadata as `pith.quantization`).
    static func weightCompression(_ m: Model, _ stats: GraphStatistics) -> [String: Any] {
        var result: [String: Any] = [
            "encodings": stats.parametersByEncoding,
            "bits_per_weight": (stats.bitsPerParameter * 1000).rounded() / 1000,
        ]
        if let text = m.structure.metadata[quantizationMetadataKey],
           let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) {
            result["quantization"] = object
        }
        return result
    }

    /// The metadata key `pith quantize` writes its report under.
    public static let quantizationMetadataKey = "pith.quantization"

    /// `b` over `a`, objects merged key by key.
    static func merge(_ a: [String: Any], _ b: [String: Any]) -> [String: Any] {
        var result = a
        for (key, value) in b {
            if let inner = value as? [String: Any], let existing = result[key] as? [String: Any] {
                result[key] = merge(existing, inner)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// The two files' bytes: pretty, sorted keys.
    public func encoded() throws -> (management: [UInt8], technical: [UInt8]) {
        func json(_ v: [String: Any]) throws -> [UInt8] {
            Array(try JSONSerialization.data(withJSONObject: v, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
        }
        return (try json(management), try json(technical))
    }
}
