import Foundation
import PithModels
import Testing

/// Where the default model and the perplexity text live, and whether they have been fetched (`make models`).
enum RealModel {
    static let locator = ModelLocator()
    static var smolLM2: URL? { locator.path(ofAlias: "smollm2") }
    static var tutorialText: URL { locator.home.appendingPathComponent("data/python-tutorial.txt") }

    static var available: Bool {
        (smolLM2.map { FileManager.default.fileExists(atPath: $0.path) } ?? false)
            && FileManager.default.fileExists(atPath: tutorialText.path)
    }

    static let missingNote: Comment = "SmolLM2 or the tutorial text is not fetched: run `make models` (the test did not run)"
}
