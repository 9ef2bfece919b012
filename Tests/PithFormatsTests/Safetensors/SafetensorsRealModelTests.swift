import Foundation
import Testing
import PithTensor
@testable import PithFormats

/// Golden checks on all-MiniLM, against values read once with the `safetensors` Python package and numpy.
@Suite struct SafetensorsRealModelTests {
    static let relativePath = "minilm/model.safetensors"
    static let present = PithHome.exists(relativePath)

    @Test func modelIsPresent() {
        // The golden test below is skipped without the model: reported as a known issue, visible but not failing.
        if !Self.present {
            withKnownIssue("real-model safetensors tests skipped") {
                Issue.record("\(PithHome.model(Self.relativePath).path) is absent")
            }
        }
    }

    @Test(.enabled(if: present, "minilm/model.safetensors not found under $PITH_HOME/models"))
    func tensorsAndValues() throws {
        let f = try SafetensorsFile(url: PithHome.model(Self.relativePath))
        #expect(f.tensors.count == 104)
        #expect(f.metadata == ["format": "pt"])
        #expect(f.dataOffset == 8 + 11_408)
        #expect(Set(f.tensors.map(\.dtype)) == [.f32, .i64])

        let emb = try #require(f.tensor(named: "embeddings.word_embeddings.weight"))
        #expect(emb.dtype == .f32 && emb.shape == [30522, 384])
        let w = f.data(for: emb).floats
        #expect(Array(w[0..<4]) == [-0.019989013671875, -0.0034027099609375, -0.014678955078125, 0.0117034912109375])
        #expect(Array(w[(30522 * 384 - 3)...]) == [-0.017723897472023964, 0.008096314035356045, 0.004570063669234514])
        let row1000 = w[(1000 * 384)..<(1001 * 384)].reduce(0.0) { $0 + Double($1) }
        #expect(abs(row1000 - 0.1133500546857249) < 1e-9)

        let bias = try #require(f.tensor(named: "encoder.layer.5.output.LayerNorm.bias"))
        #expect(Array(f.data(for: bias).floats.prefix(3)) == [-0.03630739822983742, 0.06616555154323578, 0.014946041628718376])

        let ids = try #require(f.tensor(named: "embeddings.position_ids"))
        #expect(ids.dtype == .i64 && ids.shape == [1, 512])
        let positions = f.data(for: ids).bytes.bindMemory(to: Int64.self)
        #expect(positions.first == 0 && positions.last == 511)

        let c = try SafetensorsCollection(url: PithHome.model("minilm"))
        #expect(c.tensorNames.count == 104)
        #expect(c.tensor(named: "embeddings.word_embeddings.weight")?.info.shape == [30522, 384])
    }
}
