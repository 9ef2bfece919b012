import Foundation
import PithFormats
import PithModels
import PithTokenizers

/// Drives the GGUF and safetensors readers the way `pith inspect` and model loading do.
enum FormatHarness {
    /// Tensors up to this many elements are decoded (the decoders' work stays proportional to the input).
    static let decodeLimit = 1 << 16

    static func runGGUF(_ input: [UInt8]) {
        let url = ScratchFile.write(input, name: "input.gguf")
        guard let file = attempt("GGUFFile(url:)", { try GGUFFile(url: url) }) else { return }
        for info in file.tensors where info.elementCount <= decodeLimit {
            _ = attempt("GGUFFile.dequantize") { try file.dequantize(info) }
        }
        if let vocabulary = attempt("BPEVocabulary(gguf:)", { try BPEVocabulary(gguf: file) }),
           let tokenizer = attempt("BPETokenizer(vocabulary:)", { try BPETokenizer(vocabulary: vocabulary) }) {
            TokenizerHarness.exercise(tokenizer)
        }
        _ = attempt("Model.load(gguf)") { try Model.load(url.path) }
    }

    static func runSafetensors(_ input: [UInt8]) {
        let url = ScratchFile.write(input, name: "input.safetensors")
        guard let file = attempt("SafetensorsFile(url:)", { try SafetensorsFile(url: url) }) else { return }
        var sum: UInt8 = 0
        for info in file.tensors {
            let data = file.data(for: info)
            guard data.count == info.byteCount else { fatalError("pith-fuzz: tensor '\(info.name)' has \(data.count) bytes, not \(info.byteCount)") }
            for byte in data.bytes { sum &+= byte }
        }
        _ = file.tensor(named: "model.embed_tokens.weight")
        withExtendedLifetime(sum) {}
    }
}
