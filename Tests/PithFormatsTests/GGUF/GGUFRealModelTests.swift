import Foundation
import Testing
import PithTensor
@testable import PithFormats

/// Golden checks on the default model, against values read once with gguf-py 0.x (`gguf.GGUFReader`,
/// `gguf.quants.dequantize`) as an independent reference.
@Suite struct GGUFRealModelTests {
    static let relativePath = "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    static let present = PithHome.exists(relativePath)

    @Test func modelIsPresent() {
        // Not a failure of the reader, but the golden tests below are skipped without the model; say so loudly.
        if !Self.present {
            Issue.record("\(PithHome.model(Self.relativePath).path) is absent: real-model GGUF tests were skipped")
        }
    }

    @Test(.enabled(if: present, "SmolLM2-135M-Instruct.Q4_1.gguf not found under $PITH_HOME/models"))
    func headerAndTensors() throws {
        let g = try GGUFFile(url: PithHome.model(Self.relativePath))
        #expect(g.version == 3)
        #expect(g.alignment == 32)
        #expect(g.metadataKeys.count == 33)
        #expect(g.dataOffset == 1_785_664)
        #expect(g.architecture == "llama")
        #expect(g.int("llama.block_count") == 30)
        #expect(g.int("llama.embedding_length") == 576)
        #expect(g.int("llama.attention.head_count_kv") == 3)
        #expect(g.double("llama.rope.freq_base") == 100_000)
        #expect(g.string("tokenizer.ggml.model") == "gpt2")
        #expect(g.bool("tokenizer.ggml.add_bos_token") == false)

        let tokens = try #require(g.strings("tokenizer.ggml.tokens"))
        #expect(tokens.count == 49_152)
        #expect(Array(tokens.prefix(3)) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        #expect(tokens.last == "ectable")
        let merges = try #require(g.strings("tokenizer.ggml.merges"))
        #expect(merges.count == 48_900)
        #expect(Array(merges.prefix(3)) == ["Ġ t", "Ġ a", "i n"])
        #expect(g.ints("tokenizer.ggml.token_type")?.count == 49_152)

        #expect(g.tensors.count == 272)
        #expect(g.tensors.filter { $0.type == .q4_1 }.count == 210)
        #expect(g.tensors.filter { $0.type == .f32 }.count == 61)
        let embd = try #require(g.tensor(named: "token_embd.weight"))
        #expect(embd.type == .q8_0)
        #expect(embd.dimensions == [576, 49152])
        #expect(embd.offset == 1_785_664)
        #expect(embd.byteCount == 30_081_024)
        let down = try #require(g.tensor(named: "blk.0.ffn_down.weight"))
        #expect(down.type == .q4_1)
        #expect(down.dimensions == [1536, 576])
        #expect(down.offset == 31_868_992)
        #expect(g.data(for: down).count == 552_960)
    }
}
