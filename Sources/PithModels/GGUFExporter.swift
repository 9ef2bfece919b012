import Foundation
import PithFormats
import PithGraph
import PithTensor

/// Writes a Llama-family model as a GGUF file that llama.cpp and Pith's own loader read back to the same model.
///
/// Decisions:
/// - **Configuration from the graph**, as `HuggingFaceExporter` derives it (the inverse of `LlamaBuilder`), so any
///   model Pith runs — loaded from a GGUF, a Hugging Face folder or a package, or rewritten by a pass — can be exported.
/// - **Tensors in their own encoding, bytes as they are**: `ggufType(for:)` maps each parameter's encoding to the GGML
///   type with the same layout (dense f32/f16/bf16, every ggml block type, and the `QuantScheme`s whose bytes are a
///   ggml block), so export is lossless. An encoding GGUF has no type for (other `Encoding.quantized` schemes, dense
///   f64 …) is refused with one line naming the tensor and its encoding, unless a `Fallback` asks to re-block it
///   losslessly into a larger ggml type (integer schemes, `GGUFExporter+Reblock.swift`) or to dequantize it to f16 or
///   f32; one-dimensional tensors (norms, biases) then fall back to f32, as llama.cpp keeps them.
/// - **q/k rows in GGUF's order**: graphs built with the `interleaved` rotation (from GGUF) already hold them; graphs
///   with `half_split` rotation (from Hugging Face) get their q/k weight and bias rows permuted as llama.cpp's
///   `convert_hf_to_gguf.py` does. Rows move whole, so the permutation is lossless in any encoding.
/// - **Tokenizer metadata from the loaded `BPEVocabulary`**, not from the source file: a model loaded from a package
///   has the package as its source, and a vocabulary is what every loader produces. The pre-tokenizer is named by the
///   canonical `tokenizer.ggml.pre` of its regex list (see `GGUFExporter+Tokenizer.swift`); a model without a tokenizer
///   is written with `tokenizer.ggml.model = none`.
public enum GGUFExporter {
    /// What to write for a parameter whose encoding has no GGUF type.
    public enum Fallback: String, Sendable, CaseIterable {
        /// Re-block integer schemes into the ggml type that holds their values exactly (`reblockedType(for:)`, e.g.
        /// int4 groups of 128 as Q4_1: same values, 5.0 instead of 4.25 bits per weight); refuse the others.
        case lossless
        /// Dequantize and store as f16 (one-dimensional tensors as f32).
        case f16
        /// Dequantize and store as f32.
        case f32
    }

    /// The GGML type a parameter stored in `encoding` is written as, bytes unchanged; nil when GGUF has none.
    public static func ggufType(for encoding: Encoding) -> GGMLType? {
        switch encoding {
        case .dense(.f32): .f32
        case .dense(.f16): .f16
        case .dense(.bf16): .bf16
        case .dense: nil
        case .ggml(let type): type
        // A Pith-native scheme is written only when its bytes are a ggml block layout (docs/QUANTIZATION.md).
        case .quantized(let scheme): scheme.ggmlEquivalent
        }
    }

    /// Writes `model` to `url` atomically (a temporary file renamed into place; nothing is left behind on failure).
    ///
    /// - Parameter fallback: how to store parameters whose encoding GGUF lacks; nil refuses them.
    public static func export(model: Model, to url: URL, fallback: Fallback? = nil) throws {
        let (config, ropeMode) = try HuggingFaceExporter.llamaConfiguration(of: model)
        guard ropeMode == "interleaved" || ropeMode == "half_split" else {
            throw ModelError.invalid(file: model.source.path, reason: "rope mode '\(ropeMode)' has no GGUF layout")
        }
        try checkPlainLlama(model, config: config, ropeMode: ropeMode)
        let plan = try tensorPlan(model, fallback: fallback, destination: url)
        let writer = try GGUFWriter(url: url)
        for (key, value) in try metadata(model, config: config, quantized: plan.contains { $0.type.isQuantized }) {
            try writer.setMetadata(key, value)
        }
        for t in plan {
            try writer.addTensor(name: t.variable.name, dimensions: t.variable.shape.reversed(), type: t.type)
        }
        for t in plan {
            guard let data = model.weights[t.variable.name] else {
                throw ModelError.missingTensor(file: model.source.path, tensor: t.variable.name)
            }
            // Bytes to write when they are not the model's own: converted by the fallback, or rows reordered.
            var bytes: [UInt8]?
            switch t.conversion {
            case .none: break
            case .reblock(let scheme): bytes = try reblock(t.variable, data, scheme: scheme, to: t.type, file: model.source.path)
            case .dequantize: bytes = try convert(t.variable, data, to: t.type, file: model.source.path)
            }
            if ropeMode == "half_split", let heads = permutedHeads(t.variable.name, config: config) {
                bytes = try permuteRows(bytes ?? Array(data.bytes), variable: t.variable, type: t.type, heads: heads,
                                        file: model.source.path)
            }
            if let bytes {
                try bytes.withUnsafeBytes { try writer.writeTensorData($0, for: t.variable.name) }
            } else {
                try writer.writeTensorData(data.bytes, for: t.variable.name)
            }
        }
        try writer.finish()
    }

    /// Refuses a main graph that is not what `LlamaBuilder` builds for its configuration (a pass that added, removed or
    /// rewired operators): GGUF's `llama` architecture would run the plain graph over its weights, silently wrong.
    static func checkPlainLlama(_ model: Model, config: LlamaConfiguration, ropeMode: String) throws {
        guard let graph = model.structure.mainGraph else {
            throw ModelError.invalid(file: model.source.path, reason: "the model has no main graph")
        }
        let encodings = Dictionary(graph.variables.map { ($0.name, $0.encoding) }, uniquingKeysWith: { a, _ in a })
        let plain = LlamaBuilder(config: config, ropeMode: ropeMode).build { encodings[$0] ?? .dense(.f32) }
        func fail(_ what: String) -> ModelError {
            .invalid(file: model.source.path, reason: "\(what) differs from the plain Llama graph GGUF's llama architecture describes")
        }
        for (a, b) in zip(graph.operators, plain.operators) where a != b {
            throw fail("operator '\(a.name)' (\(a.type))")
        }
        guard graph.operators.count == plain.operators.count else {
            throw fail("the operator count (\(graph.operators.count), plain \(plain.operators.count))")
        }
        let shapes = { (g: ComputationGraph) in Dictionary(g.variables.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a }) }
        let (have, want) = (shapes(graph), shapes(plain))
        if let name = want.keys.sorted().first(where: { have[$0] != want[$0] }) { throw fail("variable '\(name)'") }
        // llama.cpp refuses a file with tensors its architecture does not name.
        if let extra = graph.variables.first(where: { $0.isParameter && want[$0.name] == nil }) { throw fail("parameter '\(extra.name)'") }
    }

    // MARK: - Tensors

    /// How a parameter's bytes become the written ones.
    enum Conversion: Equatable {
        /// Written as they are.
        case none
        /// An integer scheme's codes and scales rewritten in the blocks of the planned type, values unchanged.
        case reblock(QuantScheme)
        /// Dequantized and stored in the planned dense type.
        case dequantize
    }

    /// Every parameter once (main graph first), with the GGML type it is written as and how its bytes get there.
    static func tensorPlan(_ model: Model, fallback: Fallback?, destination: URL)
        throws -> [(variable: VariableNode, type: GGMLType, conversion: Conversion)] {
        var plan: [(variable: VariableNode, type: GGMLType, conversion: Conversion)] = []
        var seen = Set<String>()
        let graphs = model.structure.graphs.sorted { ($0.role == .main ? 0 : 1) < ($1.role == .main ? 0 : 1) }
        for v in graphs.flatMap(\.variables) where v.isParameter && seen.insert(v.name).inserted {
            if let type = ggufType(for: v.encoding) {
                plan.append((v, type, .none))
                continue
            }
            // int4 g32 asym double-quantized in super-blocks of 256 is Q4_K's arithmetic: re-blocked, values unchanged.
            if case .quantized(let scheme) = v.encoding, let type = kQuantType(for: scheme, cols: v.shape.last ?? 0) {
                plan.append((v, type, .reblock(scheme)))
                continue
            }
            switch fallback {
            case nil:
                throw ModelError.invalid(file: destination.path,
                    reason: "tensor '\(v.name)' is stored as \(v.encoding.name), which GGUF has no type for (export with fallback lossless, f16 or f32)")
            case .lossless:
                guard case .quantized(let scheme) = v.encoding, let type = reblockedType(for: scheme) else {
                    throw ModelError.invalid(file: destination.path,
                        reason: "tensor '\(v.name)' is stored as \(v.encoding.name), which no GGUF type holds exactly (export with fallback f16 or f32)")
                }
                plan.append((v, type, .reblock(scheme)))
            case .f16, .f32:
                plan.append((v, fallback == .f32 || v.shape.count < 2 ? .f32 : .f16, .dequantize))
            }
        }
        return plan
    }

    /// The parameter's values decoded and re-encoded as `type` (f16 or f32).
    static func convert(_ v: VariableNode, _ data: TensorData, to type: GGMLType, file: String) throws -> [UInt8] {
        let floats = try dequantize(v, data, file: file)
        guard let bytes = type.rowBytes(elements: floats.count) else {
            throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' does not fit \(type.name)")
        }
        var out = [UInt8](repeating: 0, count: bytes)
        try floats.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                try type.quantize(s, count: floats.count, into: d)
            }
        }
        return out
    }

    /// The parameter's values as f32, through the reference dequantizer of its encoding.
    static func dequantize(_ v: VariableNode, _ data: TensorData, file: String) throws -> [Float] {
        guard let count = v.elementCount else {
            throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' has no element count")
        }
        switch v.encoding {
        case .dense(let scalar) where scalar == .f64:
            return data.bytes.bindMemory(to: Double.self).prefix(count).map { Float($0) }
        case .quantized(let scheme):
            let cols = v.shape.last ?? 1
            return try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: count / max(cols, 1), cols: cols).dequantize()
        default:
            guard let type = v.encoding.ggmlType, type.canDequantize else {
                throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' in \(v.encoding.name) has no dequantizer")
            }
            return try type.dequantize(data.bytes, count: count)
        }
    }

    // MARK: - q/k layout

    /// The head count whose rows must be permuted for a half-split parameter, or nil when it is not a q/k one.
    static func permutedHeads(_ name: String, config: LlamaConfiguration) -> Int? {
        if name.hasSuffix(".attn_q.weight") || name.hasSuffix(".attn_q.bias") { return config.numAttentionHeads }
        if name.hasSuffix(".attn_k.weight") || name.hasSuffix(".attn_k.bias") { return config.kvHeads }
        return nil
    }

    /// Reorders whole rows from Hugging Face's half-split order to GGUF's interleaved one: GGUF row (h, i, j), with
    /// i < head_dim/2 and j < 2, is Hugging Face row (h, j, i) (llama.cpp `convert_hf_to_gguf.py` `permute`).
    static func permuteRows(_ bytes: [UInt8], variable v: VariableNode, type: GGMLType, heads: Int, file: String) throws -> [UInt8] {
        let rows = v.shape.first ?? 0
        let cols = v.shape.dropFirst().reduce(1, *)
        guard heads > 0, rows % (2 * heads) == 0, let rowBytes = type.rowBytes(elements: cols), rows * rowBytes == bytes.count else {
            throw ModelError.invalid(file: file, reason: "cannot reorder the rows of '\(v.name)' \(v.shape) in \(type.name) for \(heads) heads")
        }
        let headDim = rows / heads, half = headDim / 2
        var out = [UInt8](repeating: 0, count: bytes.count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for h in 0..<heads {
                    for i in 0..<half {
                        for j in 0..<2 {
                            let ggufRow = h * headDim + i * 2 + j
                            let hfRow = h * headDim + j * half + i
                            (d + ggufRow * rowBytes).copyMemory(from: s + hfRow * rowBytes, byteCount: rowBytes)
                        }
                    }
                }
            }
        }
        return out
    }

    // MARK: - Metadata

    /// `general.*` string keys carried from the model's metadata when present (gguf.md "General metadata").
    static let carriedGeneralKeys = [
        "general.type", "general.organization", "general.basename", "general.finetune", "general.size_label",
        "general.version", "general.author", "general.description", "general.license", "general.license.name",
        "general.license.link", "general.url", "general.doi", "general.uuid", "general.repo_url", "general.quantized_by",
    ]

    /// Architecture, hyper-parameters and tokenizer keys, in the order llama.cpp's converter writes them.
    static func metadata(_ model: Model, config c: LlamaConfiguration, quantized: Bool) throws -> [(String, GGUFValue)] {
        func u32(_ v: Int) throws -> GGUFValue {
            guard let x = UInt32(exactly: v) else { throw ModelError.badConfiguration("\(v) does not fit a GGUF uint32") }
            return .uint32(x)
        }
        var out: [(String, GGUFValue)] = [("general.architecture", .string("llama"))]
        out.append(("general.name", .string(model.structure.name)))
        for key in carriedGeneralKeys { if let v = model.structure.metadata[key] { out.append((key, .string(v))) } }
        let rope = model.structure.mainGraph?.operators.first { $0.type == "rope" }
        let rotaryDims = rope.flatMap { OperatorCatalogue.standard[$0.type]?.attribute("rotary_dims", of: $0)?.int } ?? c.resolvedHeadDim
        out += [
            ("llama.vocab_size", try u32(c.vocabSize)),
            ("llama.context_length", try u32(model.contextLength)),
            ("llama.embedding_length", try u32(c.hiddenSize)),
            ("llama.block_count", try u32(c.numHiddenLayers)),
            ("llama.feed_forward_length", try u32(c.intermediateSize)),
            ("llama.rope.dimension_count", try u32(rotaryDims)),
            ("llama.attention.head_count", try u32(c.numAttentionHeads)),
            ("llama.attention.head_count_kv", try u32(c.kvHeads)),
            ("llama.attention.key_length", try u32(c.resolvedHeadDim)),
            ("llama.attention.value_length", try u32(c.resolvedHeadDim)),
            ("llama.rope.freq_base", .float32(Float(c.ropeTheta))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(Float(c.rmsNormEps))),
        ]
        // ggml's block-quantization format version (GGML_QNT_VERSION), which llama.cpp's writers record.
        if quantized { out.append(("general.quantization_version", .uint32(2))) }
        out += try tokenizerMetadata(model)
        return out
    }
}
