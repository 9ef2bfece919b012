import Foundation
import Testing
import PithTensor
@testable import PithFormats

@Suite struct GGUFReaderTests {
    @Test func readsHandBuiltFile() throws {
        let dir = try TempDir()
        let sample = GGUFBytes.sample()
        let url = try dir.write(sample.bytes, to: "tiny.gguf")
        let g = try GGUFFile(url: url)

        #expect(g.version == 3)
        #expect(g.alignment == 32)
        #expect(g.metadataKeys == ["general.architecture", "llama.block_count", "tokenizer.ggml.tokens", "scores"])
        #expect(g.architecture == "llama")
        #expect(g.int("llama.block_count") == 2)
        #expect(g.architectureInt("block_count") == 2)
        #expect(g.strings("tokenizer.ggml.tokens") == ["a", "bé", "<s>"])
        #expect(g.floats("scores") == [0.5, -1.25])
        #expect(g.string("llama.block_count") == nil)
        #expect(g.int("missing") == nil)

        #expect(g.tensors.map(\.name) == ["w", "q"])
        let w = try #require(g.tensor(named: "w"))
        #expect(w.dimensions == [4, 2])
        #expect(w.type == .f32)
        #expect(w.offset == sample.f32Offset)
        #expect(w.byteCount == 32)
        #expect(w.elementCount == 8)
        #expect(w.rowCount == 2)
        let floats = Array(g.data(for: w).floats)
        #expect(floats == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5])

        let q = try #require(g.tensor(named: "q"))
        #expect(q.type == .q8_0)
        #expect(q.offset == sample.q8Offset)
        #expect(q.byteCount == 34)
        #expect(g.data(for: q).count == 34)
        #expect(g.tensor(named: "nope") == nil)
    }

    @Test func readsVersion2AndCustomAlignment() throws {
        var b = GGUFBytes()
        b.header(version: 2, tensors: 1, kvs: 1)
        b.kvU32("general.alignment", 64)
        b.tensorInfo("t", dims: [2], type: 1, offset: 0)
        b.pad(to: 64)
        let dataStart = b.bytes.count
        b.bytes += [0x00, 0x3c, 0x00, 0xc0]  // f16 1.0, -2.0
        let dir = try TempDir()
        let g = try GGUFFile(url: try dir.write(b.bytes, to: "v2.gguf"))
        #expect(g.version == 2)
        #expect(g.alignment == 64)
        #expect(g.dataOffset == dataStart)
        #expect(g.tensors.first?.offset == dataStart)
    }

    @Test func valueAccessors() {
        #expect(GGUFValue.uint64(UInt64.max).int == nil)
        #expect(GGUFValue.int8(-3).int == -3)
        #expect(GGUFValue.uint32(7).double == 7)
        #expect(GGUFValue.float32(1.5).int == nil)
        #expect(GGUFValue.float64(2.5).double == 2.5)
        #expect(GGUFValue.array([.int32(1), .uint8(2)]).ints == [1, 2])
        #expect(GGUFValue.array([.int32(1), .string("x")]).ints == nil)
        #expect(GGUFValue.array([.string("x"), .int32(1)]).strings == nil)
        #expect(GGUFValue.bool(true).bool == true)
        #expect(GGUFValue.string("s").array == nil)
    }

    @Test func parsesLargeStringArrayQuickly() throws {
        // 50k strings, the scale of a real vocabulary: must parse well under a second even in debug builds.
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("tokenizer.ggml.tokens"); b.u32(9); b.u32(8); b.u64(50_000)
        for i in 0..<50_000 { b.string("tok\(i)") }
        let dir = try TempDir()
        let url = try dir.write(b.bytes, to: "vocab.gguf")
        let clock = ContinuousClock()
        var g: GGUFFile?
        let elapsed = try clock.measure { g = try GGUFFile(url: url) }
        let tokens = try #require(g?.strings("tokenizer.ggml.tokens"))
        #expect(tokens.count == 50_000)
        #expect(tokens[49_999] == "tok49999")
        #expect(elapsed < .seconds(2), "parsing 50k strings took \(elapsed)")
    }
}
