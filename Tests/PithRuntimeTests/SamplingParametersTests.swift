import Foundation
import Testing
@testable import PithRuntime

@Suite("SamplingParameters")
struct SamplingParametersTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let p = SamplingParameters()
        #expect(p.temperature == 0.8 && p.topK == 40 && p.topP == 0.95 && p.minP == 0)
        #expect(p.repetitionPenalty == 1 && p.repetitionWindow == 64 && p.seed == nil)
        #expect(try p.validated() == p)
        #expect(SamplingParameters.greedy.temperature == 0)
        #expect(try SamplingParameters.greedy.validated() == .greedy)
    }

    static let invalid: [(SamplingParameters, String)] = [
        (SamplingParameters(temperature: -0.1), "temperature"),
        (SamplingParameters(temperature: .nan), "temperature"),
        (SamplingParameters(temperature: .infinity), "temperature"),
        (SamplingParameters(topK: -1), "top_k"),
        (SamplingParameters(topP: 0), "top_p"),
        (SamplingParameters(topP: 1.01), "top_p"),
        (SamplingParameters(topP: .nan), "top_p"),
        (SamplingParameters(minP: -0.01), "min_p"),
        (SamplingParameters(minP: 1.5), "min_p"),
        (SamplingParameters(repetitionPenalty: 0), "repetition_penalty"),
        (SamplingParameters(repetitionPenalty: -1), "repetition_penalty"),
        (SamplingParameters(repetitionWindow: -1), "repetition_window"),
    ]

    @Test(arguments: invalid)
    func validationNamesTheBadParameter(parameters: SamplingParameters, name: String) {
        #expect {
            try parameters.validated()
        } throws: { error in
            guard let error = error as? InvalidSamplingParameter else { return false }
            let line = error.description
            return error.name == name && line.hasPrefix("invalid sampling parameter \(name) = ") && !line.contains("\n")
        }
    }

    @Test func edgesOfTheRangesAreValid() throws {
        _ = try SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 1, repetitionPenalty: 0.5, repetitionWindow: 0).validated()
        _ = try SamplingParameters(topP: 1e-6, minP: 0).validated()
    }

    @Test func decodesSnakeCaseWithDefaultsAndIgnoresUnknownKeys() throws {
        let json = #"{"temperature": 0.5, "top_k": 10, "repetition_penalty": 1.1, "seed": 7, "mirostat": 2}"#
        let p = try JSONDecoder().decode(SamplingParameters.self, from: Data(json.utf8))
        #expect(p == SamplingParameters(temperature: 0.5, topK: 10, repetitionPenalty: 1.1, seed: 7))
    }

    @Test func roundTripsThroughJSON() throws {
        let p = SamplingParameters(temperature: 1.3, topK: 0, topP: 0.9, minP: 0.05,
                                   repetitionPenalty: 1.2, repetitionWindow: 0, seed: 99)
        let data = try JSONEncoder().encode(p)
        #expect(String(decoding: data, as: UTF8.self).contains("\"repetition_window\""))
        #expect(try JSONDecoder().decode(SamplingParameters.self, from: data) == p)
    }
}
