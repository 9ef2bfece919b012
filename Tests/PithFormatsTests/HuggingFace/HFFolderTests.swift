import Foundation
import Testing
@testable import PithFormats

@Suite struct HFFolderTests {
    @Test func readsSyntheticFolder() throws {
        let dir = try TempDir()
        _ = try dir.write(Array(#"{"architectures":["LlamaForCausalLM"],"hidden_size":64,"rope_theta":10000.0,"tie_word_embeddings":true,"eps":1e-5,"x":null}"#.utf8), to: "config.json")
        _ = try dir.write(Array("{}".utf8), to: "tokenizer.json")
        let one: [Float] = [1]
        try one.withUnsafeBytes { try SafetensorsWriter.write([("w", .f32, [1], $0)], to: dir.url.appendingPathComponent("model.safetensors")) }

        let hf = try HFFolder(url: dir.url)
        #expect(hf.architecture == "LlamaForCausalLM")
        #expect(hf.config["hidden_size"]?.int == 64)
        #expect(hf.config["rope_theta"]?.double == 10000)
        #expect(hf.config["eps"]?.double == 1e-5)
        #expect(hf.config["tie_word_embeddings"]?.bool == true)
        #expect(hf.config["x"]?.isNull == true)
        #expect(hf.config["missing"] == nil)
        #expect(hf.tokenizerURL?.lastPathComponent == "tokenizer.json")
        #expect(hf.tokenizerConfigURL == nil)
        #expect(try hf.requireTokenizer().lastPathComponent == "tokenizer.json")
        #expect(try hf.weights().tensorNames == ["w"])
    }

    @Test func namesWhatIsMissing() throws {
        let dir = try TempDir()
        #expect { try HFFolder(url: dir.url) } throws: { e in "\(e)" == "\(dir.url.path): no config.json in the model folder" }
        _ = try dir.write(Array("[1]".utf8), to: "config.json")
        #expect { try HFFolder(url: dir.url) } throws: { e in "\(e)".hasSuffix("config.json: is not a JSON object") }
        _ = try dir.write(Array("{".utf8), to: "config.json")
        #expect { try HFFolder(url: dir.url) } throws: { e in "\(e)".hasSuffix("config.json: cannot read as JSON") }
        _ = try dir.write(Array("{}".utf8), to: "config.json")
        let hf = try HFFolder(url: dir.url)
        #expect { try hf.requireTokenizer() } throws: { e in "\(e)".contains("no tokenizer.json") }
        #expect { try hf.weights() } throws: { e in "\(e)".contains("model.safetensors") }
    }

    @Test(.enabled(if: PithHome.exists("minilm/config.json"), "minilm folder not found under $PITH_HOME/models"))
    func readsMiniLM() throws {
        let hf = try HFFolder(url: PithHome.model("minilm"))
        #expect(hf.architecture == "BertModel")
        #expect(hf.config["vocab_size"]?.int == 30522)
        #expect(hf.config["layer_norm_eps"]?.double == 1e-12)
        #expect(hf.tokenizerURL != nil)
        #expect(try hf.weights().tensorNames.count == 104)
    }
}
