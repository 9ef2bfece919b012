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
        // The golden tests below are skipped without the model: reported as a known issue, visible but not failing.
        if !Self.present {
            withKnownIssue("real-model GGUF tests skipped") {
                Issue.record("\(PithHome.model(Self.relativePath).path) is absent")
            }
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

    /// First six values and the float64 sum of chosen rows, from gguf-py's numpy dequantizer.
    static let goldenRows: [(tensor: String, row: Int, head: [Float], sum: Double)] = [
        ("token_embd.weight", 0, [-0.10654449462890625, 0.032978057861328125, 0.048198699951171875,
                                  -0.022830963134765625, -0.06849288940429688, -0.04566192626953125], -2.2541093826293945),
        ("token_embd.weight", 1000, [-0.1119384765625, -0.0739593505859375, 0.0379791259765625,
                                     -0.0179901123046875, -0.1619110107421875, -0.0099945068359375], 1.9784250259399414),
        ("token_embd.weight", 49151, [0.011505126953125, 0.0057525634765625, 0.0977935791015625,
                                      -0.0977935791015625, 0.0862884521484375, -0.0460205078125], -0.4662208557128906),
        ("blk.0.attn_q.weight", 0, [-0.0963134765625, 0.1573486328125, -0.0963134765625,
                                    -0.73046875, 1.1719970703125, -0.0963134765625], 1.00726318359375),
        ("blk.0.attn_q.weight", 575, [-0.15679931640625, 0.154327392578125, 0.34100341796875,
                                      0.029876708984375, 0.216552734375, -0.28125], -4.734954833984375),
        ("blk.29.ffn_down.weight", 0, [-0.2733154296875, 0.186279296875, 0.186279296875,
                                       0.04840087890625, 0.186279296875, 0.186279296875], -10.83831787109375),
        ("blk.0.attn_norm.weight", 0, [0.01397705078125, 0.0238037109375, -0.019775390625,
                                       -0.0302734375, -0.0196533203125, -0.03515625], .nan),
    ]

    // Q4_1 computes q·d + m; a fused multiply-add on either side may move the last bit.
    static let rowTolerance: Float = 1e-6
    static let sumTolerance = 1e-4

    @Test(.enabled(if: present, "SmolLM2-135M-Instruct.Q4_1.gguf not found under $PITH_HOME/models"))
    func dequantizedRowsMatchReference() throws {
        let g = try GGUFFile(url: PithHome.model(Self.relativePath))
        for golden in Self.goldenRows {
            let info = try #require(g.tensor(named: golden.tensor))
            let y = try g.dequantizeRows(of: info, rows: golden.row..<(golden.row + 1))
            #expect(y.count == info.rowLength)
            for (i, v) in golden.head.enumerated() {
                #expect(abs(y[i] - v) <= Self.rowTolerance, "\(golden.tensor)[\(golden.row), \(i)] = \(y[i]), want \(v)")
            }
            if !golden.sum.isNaN {
                let sum = y.reduce(0.0) { $0 + Double($1) }
                #expect(abs(sum - golden.sum) <= Self.sumTolerance, "\(golden.tensor) row \(golden.row) sum \(sum)")
            }
        }
        let q = try #require(g.tensor(named: "blk.0.attn_q.weight"))
        #expect(try g.dequantize(q).count == 576 * 576)
        #expect(throws: GGUFError.self) { try g.dequantizeRows(of: q, rows: 570..<577) }
    }
}
