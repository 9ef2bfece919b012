import Crypto
import Foundation
import PithFormats
import PithGraph
import PithModels
import PithPackaging
import PithTensor
import PithTokenizers

/// The seed corpus, built at run time from Pith's own writers: one small valid input per reader and variant, each
/// prefixed with its `FuzzTarget` byte. libFuzzer mutates from these, so every reader starts past its magic.
enum SeedCorpus {
    /// Writes the seeds into `folder` (created if needed); returns how many.
    static func write(to folder: URL) throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pith-fuzz-seeds-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        var seeds: [(String, FuzzTarget, [UInt8])] = []
        let model = try tinyModel()
        for (name, options) in packageVariants() {
            let url = work.appendingPathComponent("\(name).pith")
            try Packer.pack([model], options: options, to: url)
            let bytes = try [UInt8](Data(contentsOf: url))
            seeds.append(("\(name)-package", .package, bytes))
            seeds.append(("\(name)-package-repaired", .repairedPackage, bytes))
            if name == "plain" {
                let reader = try PackageReader(url: url)
                seeds.append(("tensors-json", .tensorIndex, Array(try reader.section(named: "Model/0/tensors.json").bytes)))
            }
        }
        let codec = RepresentationCodec()
        seeds.append(("structure", .graph, Array(try codec.export(model.structure))))
        seeds.append(("structure-subgraphs", .graph, Array(try codec.export(withSubgraphs(model.structure)))))
        seeds.append(("llama-gguf", .gguf, try llamaGGUF(in: work)))
        seeds.append(("quant-gguf", .gguf, try quantGGUF(in: work)))
        seeds.append(("safetensors", .safetensors, try safetensors(in: work)))
        let bpe = try bpeVocabulary()
        seeds.append(("bpe-tokenizer", .tokenizer, Array(try bpe.tokenizerJSON()) + [0] + Array(try bpe.tokenizerConfigJSON())))
        seeds.append(("wordpiece-tokenizer", .tokenizer, Array(wordPieceJSON.utf8)))
        for (name, bytes) in try keyFiles(in: work) { seeds.append((name, .keyFile, bytes)) }
        let derivation = KeyDerivation(parameters: .default, salt: (0..<16).map { UInt8($0) })
        seeds.append(("key-derivation", .keyDerivation, try derivation.encoded()))
        seeds.append(("key-derivation-json", .keyDerivation, Array(try JSONEncoder().encode(derivation))))

        for (name, target, bytes) in seeds {
            try Data([target.rawValue] + bytes).write(to: folder.appendingPathComponent("seed-\(name)"))
        }
        return seeds.count
    }

    // MARK: - Packages

    static func packageVariants() -> [(String, Packer.Options)] {
        var signed = Packer.Options()
        signed.signingKey = PackageHarness.signingKey
        var encrypted = Packer.Options()
        encrypted.encryption = PackageEncryption(key: PackageHarness.key, chunkSize: 1024)
        return [("plain", Packer.Options()), ("signed", signed), ("encrypted", encrypted)]
    }

    /// A random one-layer Llama (as Tests/PithPackagingTests/PackageSupport.swift builds) with a byte-level BPE tokenizer.
    static func tinyModel() throws -> Model {
        let graph = LlamaBuilder(config: llamaConfig, ropeMode: "half_split").build { _ in .dense(.f32) }
        var weights = Weights()
        for v in graph.variables where v.isParameter {
            weights[v.name] = TensorData(floats: floats(v.elementCount ?? 0, seed: UInt64(v.name.utf8.count)))
        }
        let structure = ModelStructure(name: "tiny", architecture: "llama", family: .decoderOnly, origin: "fuzz", graphs: [graph],
                                       metadata: ["general.license": "mit", "general.organization": "Pith fuzz", "general.version": "0.1"])
        return Model(structure: structure, weights: weights, tokenizer: try BPETokenizer(vocabulary: bpeVocabulary()),
                     source: URL(fileURLWithPath: "/nonexistent/tiny"), contextLength: 64)
    }

    static let llamaConfig = LlamaConfiguration(hiddenSize: 8, intermediateSize: 16, numHiddenLayers: 1, numAttentionHeads: 2,
                                                numKeyValueHeads: 1, vocabSize: 24, maxPositionEmbeddings: 64, tieWordEmbeddings: true)

    static func floats(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 4000
        }
    }

    /// The main graph plus a fused copy of it as a sub-graph (parent 0), so mutations reach the graph links.
    static func withSubgraphs(_ structure: ModelStructure) -> ModelStructure {
        var s = structure
        var sub = structure.graphs[0]
        sub.graphID = 1
        sub.parentGraphID = 0
        sub.role = .fused
        sub.name = "blk.0"
        s.graphs.append(sub)
        return s
    }

    // MARK: - Formats

    /// The tiny Llama as a GGUF file (f32, ggml dimension order) with its tokenizer metadata: enough for `Model.load`.
    static func llamaGGUF(in folder: URL) throws -> [UInt8] {
        let url = folder.appendingPathComponent("tiny.gguf")
        let c = llamaConfig
        let w = try GGUFWriter(url: url)
        let bpe = try bpeVocabulary()
        let metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.name", .string("tiny")),
            ("llama.block_count", .uint32(UInt32(c.numHiddenLayers))), ("llama.context_length", .uint32(UInt32(c.maxPositionEmbeddings))),
            ("llama.embedding_length", .uint32(UInt32(c.hiddenSize))), ("llama.feed_forward_length", .uint32(UInt32(c.intermediateSize))),
            ("llama.attention.head_count", .uint32(UInt32(c.numAttentionHeads))),
            ("llama.attention.head_count_kv", .uint32(UInt32(c.kvHeads))),
            ("llama.attention.key_length", .uint32(UInt32(c.resolvedHeadDim))), ("llama.vocab_size", .uint32(UInt32(c.vocabSize))),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)), ("llama.rope.freq_base", .float32(10_000)),
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(bpe.tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(bpe.tokens.indices.map { .int32(bpe.type(of: Int32($0)).rawValue) })),
            ("tokenizer.ggml.merges", .array(bpe.merges.map { .string("\($0.0) \($0.1)") })),
            ("tokenizer.ggml.bos_token_id", .uint32(UInt32(bpe.bosTokenID ?? 0))),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(bpe.eosTokenID ?? 0))),
        ]
        for (key, value) in metadata { try w.setMetadata(key, value) }
        let graph = LlamaBuilder(config: c, ropeMode: "interleaved").build { _ in .dense(.f32) }
        let parameters = graph.variables.filter(\.isParameter)
        for v in parameters { try w.addTensor(name: v.name, dimensions: v.shape.reversed(), type: .f32) }
        for v in parameters {
            let values = floats(v.elementCount ?? 0, seed: UInt64(v.name.utf8.count))
            try values.withUnsafeBytes { try w.writeTensorData($0, for: v.name) }
        }
        try w.finish()
        return try [UInt8](Data(contentsOf: url))
    }

    /// One 256-element tensor of every GGML type with whole blocks at that size, filled with arbitrary bytes.
    static func quantGGUF(in folder: URL) throws -> [UInt8] {
        let url = folder.appendingPathComponent("quant.gguf")
        let w = try GGUFWriter(url: url, alignment: 64)
        let types = GGMLType.allCases.filter { $0.rowBytes(elements: 256) != nil }
        for t in types { try w.addTensor(name: t.name, dimensions: [256], type: t) }
        for t in types {
            let n = t.rowBytes(elements: 256) ?? 0
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ Int(t.rawValue)) }
            try bytes.withUnsafeBytes { try w.writeTensorData($0, for: t.name) }
        }
        try w.finish()
        return try [UInt8](Data(contentsOf: url))
    }

    static func safetensors(in folder: URL) throws -> [UInt8] {
        let url = folder.appendingPathComponent("tiny.safetensors")
        let f = floats(12, seed: 3)
        let h = [UInt8](repeating: 0x3c, count: 8)
        let i = [UInt8](repeating: 1, count: 3)
        try f.withUnsafeBytes { fb in
            try h.withUnsafeBytes { hb in
                try i.withUnsafeBytes { ib in
                    try SafetensorsWriter.write([("model.embed_tokens.weight", .f32, [3, 4], fb), ("norm", .f16, [4], hb),
                                                 ("mask", .bool, [3], ib)],
                                                metadata: ["format": "pt"], to: url)
                }
            }
        }
        return try [UInt8](Data(contentsOf: url))
    }

    // MARK: - Tokenizers and keys

    /// 24 entries: the byte-level spellings of a few letters and digits, merges of them, and two control tokens.
    static func bpeVocabulary() throws -> BPEVocabulary {
        let normal = ["a", "b", "c", "d", "e", "h", "l", "o", "r", "w", "Ġ", "1", "2", ",", "!", "he", "ll", "hell", "hello", "Ġw",
                      "or", "Ġwor"]
        let tokens = normal + ["<s>", "<|im_end|>"]
        let types = [TokenType](repeating: .normal, count: normal.count) + [.control, .control]
        let merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("Ġ", "w"), ("o", "r"), ("Ġw", "or")]
        return BPEVocabulary(tokens: tokens, tokenTypes: types, merges: merges, bosTokenID: 22, eosTokenID: 23, addBOS: true,
                             preTokenizer: .gpt2, specialTokenMatching: .leftmostLongest, chatTemplate: "{{ messages }}")
    }

    static let wordPieceJSON = """
        {"version": "1.0", "truncation": {"max_length": 16, "strategy": "LongestFirst", "direction": "Right"},
         "padding": {"pad_id": 0, "pad_type_id": 0},
         "added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[UNK]", "special": true},
                          {"id": 2, "content": "[CLS]", "special": true}, {"id": 3, "content": "[SEP]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "TemplateProcessing",
           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
         "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, ",": 7, "!": 8, "na": 9, "##ive": 10}}}
        """

    static func keyFiles(in folder: URL) throws -> [(String, [UInt8])] {
        let symmetric = folder.appendingPathComponent("content.key")
        try SymmetricKeyFile.write(PackageHarness.key, to: symmetric, overwrite: true)
        let pair = try Signer(privateKey: PackageHarness.signingKey).writeKeyFiles(prefix: folder.appendingPathComponent("signing"), overwrite: true)
        return try [("symmetric-key", symmetric), ("private-key", pair.privateKey), ("public-key", pair.publicKey)].map {
            ($0.0, try [UInt8](Data(contentsOf: $0.1)))
        }
    }
}
