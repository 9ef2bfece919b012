import Foundation
import Testing
@testable import PithGraph

@Test func structureRoundTripsThroughJSON() throws {
    var g = tinyGraph()
    g.variables[2].encoding = .ggml(.q4_0)
    g.variables[2].shape = [3, 32]
    g.operators[1].attributes = ["note": .string("x")]
    let s = ModelStructure(name: "tiny", architecture: "test", family: .encoderOnly, origin: "unit test", graphs: [g],
                           metadata: ["k": "v"])
    let data = try JSONEncoder().encode(s)
    let back = try JSONDecoder().decode(ModelStructure.self, from: data)
    #expect(back == s)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.contains("\"parent_graph_id\":-1"))
    #expect(text.contains("\"kind\":\"ggml\""))
}

@Test func attributesKeepTheirKind() throws {
    let values: [Attribute] = [.int(3), .float(3), .string("3"), .bool(true), .ints([1, 2]), .floats([0.5]), .strings(["a"])]
    for v in values {
        let back = try JSONDecoder().decode(Attribute.self, from: try JSONEncoder().encode(v))
        #expect(back == v)
    }
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(Attribute.self, from: Data(#"{"int":1,"float":2}"#.utf8)) }
}
