import Foundation
import Testing
import PithModels
@testable import PithRuntime

/// Golden checks of all-MiniLM-L6-v2 against sentence-transformers (Data/minilm-embeddings.json, made by
/// scripts/reference/minilm_embeddings.py with PyTorch).
@Suite(.serialized, .enabled(if: RealModel.miniLMAvailable, RealModel.miniLMMissingNote))
struct MiniLMTests {
    struct Reference: Decodable {
        struct Sentence: Decodable {
            let text: String
            let maxLength: Int
            let ids: [Int32]
            let embedding: [Float]
            enum CodingKeys: String, CodingKey { case text, maxLength = "max_length", ids, embedding }
        }
        let sentences: [Sentence]
    }

    // The bar: cosine ≥ 0.99999 to the reference for every sentence.
    static let minimumCosine: Float = 0.99999

    static func reference() throws -> Reference {
        let url = try #require(Bundle.module.url(forResource: "minilm-embeddings", withExtension: "json", subdirectory: "Data"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test func embeddingsOfReferenceIdsMatchSentenceTransformers() throws {
        let reference = try Self.reference()
        let model = try Model.load("minilm")
        for maxLength in Set(reference.sentences.map(\.maxLength)).sorted() {
            var m = model
            m.contextLength = maxLength
            let embedder = try EmbeddingModel(model: m, batchSize: 8)
            let cases = reference.sentences.filter { $0.maxLength == maxLength }
            let vectors = try embedder.embed(tokenized: cases.map(\.ids))
            var worst: Float = 1, maxAbs: Float = 0
            for (c, v) in zip(cases, vectors) {
                let cosine = EmbeddingModel.cosine(c.embedding, v)
                worst = min(worst, cosine)
                maxAbs = max(maxAbs, zip(c.embedding, v).map { abs($0 - $1) }.max() ?? 0)
                #expect(cosine >= Self.minimumCosine, "\(c.text.prefix(40)) at \(maxLength): cosine \(cosine)")
            }
            print("MiniLM at \(maxLength) tokens: \(cases.count) sentences, worst cosine \(worst), largest element difference \(maxAbs)")
        }
    }

    @Test func textsTokenizeAndEmbedAsSentenceTransformersDoes() throws {
        let reference = try Self.reference()
        let model = try Model.load("minilm")
        for maxLength in Set(reference.sentences.map(\.maxLength)).sorted() {
            var m = model
            m.contextLength = maxLength
            let embedder = try EmbeddingModel(model: m)
            let cases = reference.sentences.filter { $0.maxLength == maxLength }
            for c in cases { #expect(try embedder.tokenize(c.text) == c.ids, "\(c.text.prefix(40)) at \(maxLength)") }
            let vectors = try embedder.embed(cases.map(\.text))
            for (c, v) in zip(cases, vectors) {
                #expect(EmbeddingModel.cosine(c.embedding, v) >= Self.minimumCosine, "\(c.text.prefix(40))")
            }
        }
    }

    @Test func defaultLengthIsSentenceTransformersMaxSeqLength() throws {
        let embedder = try EmbeddingModel(model: try Model.load("minilm"))
        #expect(embedder.maxLength == 256)
        #expect(embedder.dimension == 384)
        let long = String(repeating: "word ", count: 600)
        #expect(try embedder.tokenize(long).count == 256)
    }

    @Test func batchingDoesNotChangeEmbeddings() throws {
        let reference = try Self.reference()
        let model = try Model.load("minilm")
        let ids = reference.sentences.filter { $0.maxLength == 256 }.prefix(12).map(\.ids)
        let batched = try EmbeddingModel(model: model, batchSize: 12).embed(tokenized: Array(ids))
        let single = try EmbeddingModel(model: model, batchSize: 1).embed(tokenized: Array(ids))
        for (a, b) in zip(batched, single) { #expect(EmbeddingModel.cosine(a, b) > 0.999999) }
    }
}
