import Foundation
import PithModels
import Testing

/// Where the default models and the perplexity text live, and whether they have been fetched (`make models`).
enum RealModel {
    static let locator = ModelLocator()
    static var smolLM2: URL? { locator.path(ofAlias: "smollm2") }
    static var tutorialText: URL { locator.home.appendingPathComponent("data/python-tutorial.txt") }

    static var smolLM2Available: Bool { smolLM2.map { FileManager.default.fileExists(atPath: $0.path) } ?? false }
    static var tutorialAvailable: Bool { FileManager.default.fileExists(atPath: tutorialText.path) }

    static var miniLM: URL? { locator.path(ofAlias: "minilm") }
    static var miniLMAvailable: Bool { miniLM.map { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path) } ?? false }
    static let miniLMMissingNote: Comment = "all-MiniLM-L6-v2 is not fetched: run `make models` (the test did not run)"

    static let missingNote: Comment = "SmolLM2 or the tutorial text is not fetched: run `make models` (the test did not run)"

    /// One shared load: the model is memory-mapped, so tests can share it.
    nonisolated(unsafe) static var cached: Model?
    static func loadSmolLM2() throws -> Model {
        if let cached { return cached }
        let model = try Model.load("smollm2")
        cached = model
        return model
    }
}
