import Foundation
import Testing
import PithFormats
import PithGraph
import PithTensor
import PithTokenizers
@testable import PithModels

// MARK: - Helpers

/// A one-layer Llama built in memory (no source file): row r of every 2-D weight holds values that name the row, so
/// a reordering of rows shows; `encoding` says how each parameter is stored.
func exporterTinyModel(ropeMode: String, tokenizer: BPETokenizer? = nil,
                       encoding: @escaping (String) -> Encoding = { _ in .dense(.f32) }) throws -> Model {
    let config = LlamaConfiguration(hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 1, numAttentionHeads: 4,
                                    numKeyValueHeads: 2, rmsNormEps: 1e-5, ropeTheta: 10_000, vocabSize: 32,
                                    maxPositionEmbeddings: 128, tieWordEmbeddings: false)
    let graph = LlamaBuilder(config: config, ropeMode: ropeMode).build(encoding: encoding)
    var weights = Weights()
    for v in graph.variables where v.isParameter {
        let n = try #require(v.elementCount)
        let cols = v.shape.count > 1 ? v.shape[1] : 1
        let values = (0..<n).map { i in Float(i / cols) + Float(i % cols) / 1024 }
        switch v.encoding {
        case .dense(.f64):
            weights[v.name] = TensorData(count: n * 8) { raw in
                for i in 0..<n { raw.storeBytes(of: Double(values[i]), toByteOffset: i * 8, as: Double.self) }
            }
        case .dense(.f32):
            weights[v.name] = TensorData(floats: values)
        case .quantized(let scheme):
            weights[v.name] = try quantizedBytes(scheme, rows: n / cols, cols: cols).withUnsafeBytes { TensorData(copying: $0) }
        default:
            let type = try #require(v.encoding.ggmlType)
            var bytes = [UInt8](repeating: 0, count: try #require(type.rowBytes(elements: n)))
            try values.withUnsafeBufferPointer { src in
                try bytes.withUnsafeMutableBytes { dst in try type.quantize(src.baseAddress!, count: n, into: dst.baseAddress!) }
            }
            weights[v.name] = bytes.withUnsafeBytes { TensorData(copying: $0) }
        }
    }
    let structure = ModelStructure(name: "tiny exporter", architecture: "llama", family: .decoderOnly, origin: "test",
                                   graphs: [graph], metadata: ["general.license": "mit"])
    return Model(structure: structure, weights: weights, tokenizer: tokenizer,
                 source: URL(fileURLWithPath: "/nonexistent/tiny"), contextLength: 128)
}

/// A (rows, cols) matrix in `scheme` with codes and scales that vary by position, packed in the scheme's bytes.
func quantizedMatrix(_ scheme: QuantScheme, rows: Int, cols: Int) throws -> QuantizedMatrix {
    let groups = rows * (cols / scheme.group(cols: cols))
    let codes = (0..<(rows * cols)).map { UInt8(($0 * 7 + $0 / cols) % (1 << scheme.bits)) }
    let scales = (0..<groups).map { QuantizedMatrix.stored(scale: 0.01 * Float($0 % 13 + 1), in: scheme) }
    let mins = scheme.symmetric ? [] : (0..<groups).map { QuantizedMatrix.stored(scale: -0.03 * Float($0 % 5), in: scheme) }
    return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
}

func quantizedBytes(_ scheme: QuantScheme, rows: Int, cols: Int) throws -> [UInt8] {
    try quantizedMatrix(scheme, rows: rows, cols: cols).pack()
}

/// A fresh `.gguf` path in the temporary folder.
func temporaryGGUF(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("pith-export-\(UUID().uuidString.prefix(8))-\(name).gguf")
}

/// The one-line message `body` fails with, or nil.
func failure(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

/// Every tensor of `a` is in `b` with the same dimensions, type and bytes.
func expectSameTensors(_ a: GGUFFile, _ b: GGUFFile) {
    #expect(Set(a.tensors.map(\.name)) == Set(b.tensors.map(\.name)))
    for t in a.tensors {
        guard let u = b.tensor(named: t.name) else { Issue.record("missing \(t.name)"); continue }
        #expect(u.dimensions == t.dimensions && u.type == t.type, "\(t.name)")
        #expect(a.data(for: t).bytes.elementsEqual(b.data(for: u).bytes), "\(t.name) bytes differ")
    }
}

/// The hyper-parameter keys the loader reads.
let hyperParameterKeys = [
    "general.architecture", "llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.attention.layer_norm_rms_epsilon",
    "llama.rope.freq_base", "llama.context_length", "llama.vocab_size", "llama.rope.dimension_count",
]

/// GGUF export: lossless bytes, q/k layout, encodings GGUF lacks, tokenizer metadata.
@Suite struct GGUFExporterTests {
    // MARK: - Lossless export

    @Test func tinyGGUFExportsEveryTensorByteForByte() throws {
        let source = try writeTinyLlamaGGUF()
        let url = temporaryGGUF("tiny")
        defer { try? FileManager.default.removeItem(at: source); try? FileManager.default.removeItem(at: url) }
        try GGUFExporter.export(model: try Model.load(source.path), to: url)
        let (a, b) = (try GGUFFile(url: source), try GGUFFile(url: url))
        expectSameTensors(a, b)
        for key in hyperParameterKeys where a.metadata[key] != nil { #expect(a.metadata[key]?.double == b.metadata[key]?.double || a.metadata[key] == b.metadata[key], "\(key)") }
        #expect(b.string("tokenizer.ggml.model") == "none")
        let reloaded = try Model.load(url.path)
        #expect(reloaded.structure.mainGraph?.variables == (try Model.load(source.path)).structure.mainGraph?.variables)
    }

    @Test(.enabled(if: ModelLocator().path(ofAlias: "smollm2").map { FileManager.default.fileExists(atPath: $0.path) } ?? false,
                   "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func smolLM2ExportsEveryTensorAndTheTokenizer() throws {
        let source = try #require(ModelLocator().path(ofAlias: "smollm2"))
        let url = temporaryGGUF("smollm2")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try Model.load(source.path)
        try GGUFExporter.export(model: model, to: url)
        let (a, b) = (try GGUFFile(url: source), try GGUFFile(url: url))
        expectSameTensors(a, b)
        for key in hyperParameterKeys + ["general.name", "general.license", "general.quantization_version"] {
            #expect(a.metadata[key] == b.metadata[key], "\(key): \(String(describing: a.metadata[key])) vs \(String(describing: b.metadata[key]))")
        }
        // Tokenizer keys as the published file has them (token types included: its end-of-generation entries are control).
        for key in a.metadataKeys where key.hasPrefix("tokenizer.") {
            #expect(a.metadata[key] == b.metadata[key], "\(key)")
        }
        let reloaded = try Model.load(url.path)
        let text = "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)  # 1234 <|im_end|>"
        let (t0, t1) = (try model.requireTokenizer(), try reloaded.requireTokenizer())
        #expect(t0.encode(text, addSpecialTokens: true, parseSpecialTokens: true) == t1.encode(text, addSpecialTokens: true, parseSpecialTokens: true))
        #expect(t1.chatTemplate == t0.chatTemplate)
    }

    // MARK: - q/k layout

    @Test func halfSplitQueryAndKeyRowsAreWrittenInGGUFOrder() throws {
        // f32 everywhere, and q/k in Q8_0 too: rows move as whole blocks, so any encoding is reordered losslessly.
        for qk in [Encoding.dense(.f32), .ggml(.q8_0)] {
            let model = try exporterTinyModel(ropeMode: "half_split") { name in
                name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight") ? qk : .dense(.f32)
            }
            let url = temporaryGGUF("half-split")
            defer { try? FileManager.default.removeItem(at: url) }
            try GGUFExporter.export(model: model, to: url)
            let file = try GGUFFile(url: url)
            for (name, heads) in [("blk.0.attn_q.weight", 4), ("blk.0.attn_k.weight", 2)] {
                let info = try #require(file.tensor(named: name))
                #expect(info.type == qk.ggmlType)
                let rows = info.rowCount, cols = info.rowLength, headDim = rows / heads
                let source = try #require(model.weights[name])
                let rowBytes = try #require(info.type.rowBytes(elements: cols))
                let written = file.data(for: info).bytes
                for h in 0..<heads {
                    for i in 0..<(headDim / 2) {
                        for j in 0..<2 {
                            let gguf = h * headDim + 2 * i + j, hf = h * headDim + j * headDim / 2 + i
                            #expect(written[(gguf * rowBytes)..<((gguf + 1) * rowBytes)].elementsEqual(source.bytes[(hf * rowBytes)..<((hf + 1) * rowBytes)]))
                        }
                    }
                }
            }
            // Everything else is as it was, and the file loads with the interleaved rotation.
            let v = try #require(file.tensor(named: "blk.0.attn_v.weight"))
            #expect(file.data(for: v).bytes.elementsEqual(try #require(model.weights["blk.0.attn_v.weight"]).bytes))
            let reloaded = try Model.load(url.path)
            let rope = try #require(reloaded.structure.mainGraph?.operators.first { $0.type == "rope" })
            #expect(rope.attributes["mode"] == .string("interleaved"))
        }
    }

    @Test func interleavedModelsAreWrittenUnchanged() throws {
        let model = try exporterTinyModel(ropeMode: "interleaved")
        let url = temporaryGGUF("interleaved")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFExporter.export(model: model, to: url)
        let file = try GGUFFile(url: url)
        for v in try #require(model.structure.mainGraph).variables where v.isParameter {
            let info = try #require(file.tensor(named: v.name))
            #expect(info.dimensions == v.shape.reversed() && info.type == .f32)
            #expect(file.data(for: info).bytes.elementsEqual(try #require(model.weights[v.name]).bytes), "\(v.name)")
        }
        #expect(file.string("general.name") == "tiny exporter" && file.string("general.license") == "mit")
        #expect(file.int("llama.context_length") == 128 && file.int("llama.attention.head_count_kv") == 2)
        #expect(file.int("llama.rope.dimension_count") == 16)
        #expect(file.metadata["general.quantization_version"] == nil)
    }

    // MARK: - Encodings GGUF lacks

    @Test func ggufTypesAreTheEncodingsOwnLayouts() {
        #expect(GGUFExporter.ggufType(for: .dense(.f32)) == .f32)
        #expect(GGUFExporter.ggufType(for: .dense(.f16)) == .f16)
        #expect(GGUFExporter.ggufType(for: .dense(.bf16)) == .bf16)
        #expect(GGUFExporter.ggufType(for: .dense(.f64)) == nil)
        #expect(GGUFExporter.ggufType(for: .dense(.i8)) == nil)
        for t in GGMLType.allCases { #expect(GGUFExporter.ggufType(for: .ggml(t)) == t) }
    }

    @Test func anEncodingWithoutAGGUFTypeIsRefusedUnlessAFallbackIsAsked() throws {
        let f64 = { (name: String) -> Encoding in name == "blk.0.ffn_up.weight" || name == "output_norm.weight" ? .dense(.f64) : .dense(.f32) }
        let model = try exporterTinyModel(ropeMode: "interleaved", encoding: f64)
        let url = temporaryGGUF("refused")
        defer { try? FileManager.default.removeItem(at: url) }
        let message = try #require(failure { try GGUFExporter.export(model: model, to: url) })
        #expect(message == "\(url.path): tensor 'blk.0.ffn_up.weight' is stored as f64, which GGUF has no type for (export with fallback lossless, f16 or f32)")
        #expect(!FileManager.default.fileExists(atPath: url.path))

        for fallback in [GGUFExporter.Fallback.f16, .f32] {
            try GGUFExporter.export(model: model, to: url, fallback: fallback)
            let file = try GGUFFile(url: url)
            let up = try #require(file.tensor(named: "blk.0.ffn_up.weight"))
            let norm = try #require(file.tensor(named: "output_norm.weight"))
            #expect(up.type == (fallback == .f16 ? .f16 : .f32))
            #expect(norm.type == .f32, "one-dimensional tensors stay f32")
            let values = try up.type.dequantize(file.data(for: up).bytes, count: up.elementCount)
            let cols = up.rowLength
            let expected = (0..<up.elementCount).map { i in Float(i / cols) + Float(i % cols) / 1024 }
            let budget: Float = fallback == .f16 ? 0.05 : 0
            #expect(zip(values, expected).allSatisfy { abs($0 - $1) <= budget * max(1, abs($1)) / 32 })
            _ = try Model.load(url.path)
        }
    }

    @Test func quantizedSchemesAreWrittenAsTheirGGMLTwinOrRefused() throws {
        let int4g32 = QuantScheme(bits: 4, groupSize: 32, symmetric: false)
        let int4g64 = QuantScheme(bits: 4, groupSize: 64, symmetric: false)
        #expect(GGUFExporter.ggufType(for: .quantized(int4g32)) == .q4_1)
        #expect(GGUFExporter.ggufType(for: .quantized(QuantScheme(bits: 8, groupSize: 32, symmetric: true))) == .q8_0)
        #expect(GGUFExporter.ggufType(for: .quantized(int4g64)) == nil)
        #expect(GGUFExporter.ggufType(for: .quantized(.nf4())) == nil)
        #expect(GGUFExporter.ggufType(for: .quantized(.w8a8)) == nil)

        // A scheme with a twin: its bytes are the ggml block's, written unchanged.
        let twin = try exporterTinyModel(ropeMode: "interleaved") { $0 == "blk.0.ffn_gate.weight" ? .quantized(int4g32) : .dense(.f32) }
        let url = temporaryGGUF("quantized")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFExporter.export(model: twin, to: url)
        var file = try GGUFFile(url: url)
        let gate = try #require(file.tensor(named: "blk.0.ffn_gate.weight"))
        #expect(gate.type == .q4_1)
        #expect(file.data(for: gate).bytes.elementsEqual(try #require(twin.weights["blk.0.ffn_gate.weight"]).bytes))
        let reference = try quantizedMatrix(int4g32, rows: 96, cols: 64).dequantize()
        #expect(try GGMLType.q4_1.dequantize(file.data(for: gate).bytes, count: 96 * 64) == reference)

        // Without a twin: refused by default, dequantized on request.
        let model = try exporterTinyModel(ropeMode: "half_split") { $0 == "blk.0.attn_q.weight" || $0 == "blk.0.ffn_up.weight" ? .quantized(int4g64) : .dense(.f32) }
        let message = try #require(failure { try GGUFExporter.export(model: model, to: url) })
        #expect(message.hasSuffix("tensor 'blk.0.attn_q.weight' is stored as int4-g64-asym, which GGUF has no type for (export with fallback lossless, f16 or f32)"))
        try GGUFExporter.export(model: model, to: url, fallback: .f32)
        file = try GGUFFile(url: url)
        let up = try #require(file.tensor(named: "blk.0.ffn_up.weight"))
        #expect(up.type == .f32)
        #expect(try GGMLType.f32.dequantize(file.data(for: up).bytes, count: 96 * 64) == quantizedMatrix(int4g64, rows: 96, cols: 64).dequantize())
        // The dequantized q rows are then put in GGUF order like any half-split q.
        let q = try #require(file.tensor(named: "blk.0.attn_q.weight"))
        let written = try GGMLType.f32.dequantize(file.data(for: q).bytes, count: 64 * 64)
        let source = try quantizedMatrix(int4g64, rows: 64, cols: 64).dequantize()
        let headDim = 16
        for row in 0..<64 {
            let (h, i, j) = (row / headDim, row % headDim / 2, row % 2)
            let hf = h * headDim + j * headDim / 2 + i
            #expect(written[(row * 64)..<((row + 1) * 64)].elementsEqual(source[(hf * 64)..<((hf + 1) * 64)]))
        }
    }

    @Test func integerSchemesAreReblockedLosslesslyOnRequest() throws {
        let url = temporaryGGUF("reblock")
        defer { try? FileManager.default.removeItem(at: url) }
        var schemes = [QuantScheme.w8a8]
        for bits in 2...8 { for symmetric in [true, false] { for group in [32, 64, 0] {
            schemes.append(QuantScheme(bits: bits, groupSize: group, symmetric: symmetric))
        } } }
        for scheme in schemes {
            let model = try exporterTinyModel(ropeMode: "interleaved") { $0 == "blk.0.ffn_gate.weight" ? .quantized(scheme) : .dense(.f32) }
            let expected = GGUFExporter.reblockedType(for: scheme)
            guard let type = expected else {
                #expect(scheme.bits >= 6 && !scheme.symmetric, "\(scheme)")
                let message = try #require(failure { try GGUFExporter.export(model: model, to: url, fallback: .lossless) })
                #expect(message.hasSuffix("tensor 'blk.0.ffn_gate.weight' is stored as \(scheme), which no GGUF type holds exactly (export with fallback f16 or f32)"))
                continue
            }
            try GGUFExporter.export(model: model, to: url, fallback: .lossless)
            let file = try GGUFFile(url: url)
            let gate = try #require(file.tensor(named: "blk.0.ffn_gate.weight"))
            // A scheme with a ggml twin is that type already; the others take the type reblockedType names.
            #expect(gate.type == (scheme.ggmlEquivalent ?? type), "\(scheme)")
            let values = try gate.type.dequantize(file.data(for: gate).bytes, count: 96 * 64)
            #expect(values == (try quantizedMatrix(scheme, rows: 96, cols: 64).dequantize()), "\(scheme) as \(gate.type.name)")
        }
        // Schemes without an exact twin are refused even with the lossless fallback.
        let nf4 = try exporterTinyModel(ropeMode: "interleaved") { $0 == "blk.0.ffn_gate.weight" ? .quantized(.nf4()) : .dense(.f32) }
        #expect(failure { try GGUFExporter.export(model: nf4, to: url, fallback: .lossless) }?.contains("nf4-b64-dq, which no GGUF type holds exactly") == true)
    }

    @Test func aFailedExportLeavesNoFileBehind() throws {
        var model = try exporterTinyModel(ropeMode: "interleaved")
        model.weights["blk.0.ffn_down.weight"] = nil
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pith-export-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.gguf")
        #expect(failure { try GGUFExporter.export(model: model, to: url) } == "/nonexistent/tiny: missing tensor 'blk.0.ffn_down.weight'")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    // MARK: - Tokenizer

    @Test func theVocabularyReadsBackFromTheExportedMetadata() throws {
        let tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "c", "Ġ", "ab", "Ġab", "1", "2", "<tool>"]
        let vocabulary = BPEVocabulary(
            tokens: tokens, tokenTypes: [.control, .control, .control] + Array(repeating: .normal, count: 8) + [.userDefined],
            merges: [("a", "b"), ("Ġ", "ab")], bosTokenID: 1, eosTokenID: 2, unknownTokenID: 0, paddingTokenID: 2,
            addBOS: true, preTokenizer: .steps([.isolateDigits(individually: true), .split(.gpt2)]),
            chatTemplate: "{{ messages }}")
        let model = try exporterTinyModel(ropeMode: "interleaved", tokenizer: try BPETokenizer(vocabulary: vocabulary))
        let url = temporaryGGUF("tokenizer")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFExporter.export(model: model, to: url)
        let file = try GGUFFile(url: url)
        #expect(file.string("tokenizer.ggml.pre") == "smollm")
        let back = try BPEVocabulary(gguf: file)
        #expect(back.tokens == vocabulary.tokens && back.tokenTypes == vocabulary.tokenTypes)
        #expect(back.merges.map { [$0.0, $0.1] } == vocabulary.merges.map { [$0.0, $0.1] })
        #expect(back.bosTokenID == 1 && back.eosTokenID == 2 && back.unknownTokenID == 0 && back.paddingTokenID == 2)
        #expect(back.addBOS && !back.addEOS && back.chatTemplate == "{{ messages }}" && back.preTokenizer == .smollm)
        let original = try BPETokenizer(vocabulary: vocabulary), reread = try BPETokenizer(vocabulary: back)
        for text in ["ab ab 12", "<|im_start|>ab<tool>c<|im_end|>"] {
            #expect(original.encode(text, addSpecialTokens: true, parseSpecialTokens: true)
                    == reread.encode(text, addSpecialTokens: true, parseSpecialTokens: true))
        }
    }

    @Test func preTokenizersGetTheirCanonicalGGUFNames() {
        #expect(GGUFExporter.ggufPreTokenizerName(.gpt2, ignoresMerges: false) == "gpt-2")
        #expect(GGUFExporter.ggufPreTokenizerName(.smollm, ignoresMerges: false) == "smollm")
        #expect(GGUFExporter.ggufPreTokenizerName(.llama3, ignoresMerges: true) == "llama-bpe")
        #expect(GGUFExporter.ggufPreTokenizerName(.llama3, ignoresMerges: false) == "smaug-bpe")
        #expect(GGUFExporter.ggufPreTokenizerName(.qwen2, ignoresMerges: false) == "qwen2")
        #expect(GGUFExporter.ggufPreTokenizerName(.steps([.split(.gpt2)]), ignoresMerges: false) == "gpt-2")
        #expect(GGUFExporter.ggufPreTokenizerName(.gpt2, ignoresMerges: true) == nil)
        #expect(GGUFExporter.ggufPreTokenizerName(.steps([.prefixSpace, .split(.gpt2)]), ignoresMerges: false) == nil)
        // Each name reads back to the kind it was written for.
        for kind in [PreTokenizerKind.gpt2, .smollm, .llama3, .qwen2] {
            let name = GGUFExporter.ggufPreTokenizerName(kind, ignoresMerges: kind == .llama3)
            #expect(name.flatMap(PreTokenizerKind.init(ggufName:)) == kind)
        }
    }
}
