import Foundation
import Testing

/// The real-model tests skip themselves when a model or text is missing, so that `swift test` works on a machine
/// without them. `make test` fetches them first and sets PITH_REQUIRE_MODELS; then a missing file is a failure here,
/// naming it, and never a silent skip that would hide a broken `make models` (issue 12).
@Suite struct DefaultModelsPresentTests {
    /// Every file under $PITH_HOME that some real-model test reads.
    static let required = [
        "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "models/minilm/config.json", "models/minilm/model.safetensors", "models/minilm/tokenizer.json",
        "data/python-tutorial.txt", "data/calibration.txt", "data/sentences.txt",
    ]

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PITH_REQUIRE_MODELS"] != nil,
                   "PITH_REQUIRE_MODELS is not set: real-model tests may skip (make test sets it)"))
    func everyFileTheRealModelTestsReadIsThere() {
        let missing = Self.required.filter { relative in
            let path = PithHome.url.appendingPathComponent(relative).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return size == 0
        }
        #expect(missing.isEmpty, "missing or empty under \(PithHome.url.path): \(missing.joined(separator: ", ")) — run `make models`")
    }
}
