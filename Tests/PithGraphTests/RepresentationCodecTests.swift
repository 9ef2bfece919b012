import Foundation
import Testing
@testable import PithGraph

// MARK: - Round trips

@Test func toyGraphImportsAndExportsToTheSameBytes() throws {
    let codec = RepresentationCodec()
    let structure = try codec.import(Data(toyGraphJSON.utf8), file: "toy.graph.json")
    #expect(structure.graphs[0].role == .main && structure.graphs[0].name == "main")
    #expect(structure.graphs[0].operators[1].attributes["epsilon"] == .float(1e-5))
    #expect(structure.graphs[0].variables[1].encoding == .ggml(.q8_0))
    let exported = try codec.export(structure)
    #expect(String(decoding: exported, as: UTF8.self) == toyGraphJSON)
}

@Test func docsExampleIsTheToyGraph() throws {
    // docs/REPRESENTATION.md shows the toy graph; keep the two in step.
    let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/REPRESENTATION.md")
    let text = try String(contentsOf: docs, encoding: .utf8)
    let start = try #require(text.range(of: "```json\n"))
    let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
    #expect(String(text[start.upperBound..<end.lowerBound]) == toyGraphJSON)
}

@Test func exportIsDeterministicAndRoundTrips() throws {
    var sub = tinyGraph()
    sub.graphID = 1
    sub.parentGraphID = 0
    sub.name = "fused region"
    sub.role = .fused
    var main = tinyGraph()
    main.operators[1].attributes = [:]
    let s = ModelStructure(name: "tiny", architecture: "test", family: .encoderOnly, origin: "unit test",
                           graphs: [main, sub], metadata: ["quote\"and\\slash/": "tab\tnewline\n\u{1}é"])
    let codec = RepresentationCodec()
    let a = try codec.export(s)
    let back = try codec.import(a)
    #expect(back == s)
    #expect(try codec.export(back) == a)
    #expect(try codec.export(s) == a)
}

@Test func aFormat10DocumentWithoutTheNewFieldsIsRead() throws {
    let old = try toyGraph(("\"format_version\": \"1.1\"", "\"format_version\": \"1.0\""),
                           ("      \"name\": \"main\",\n", ""), ("      \"role\": \"main\",\n", ""),
                           ("          \"attributes\": {},\n", ""))
    let s = try RepresentationCodec().import(Data(old.utf8))
    #expect(s.formatVersion == "1.0" && s.graphs[0].name == nil && s.graphs[0].role == nil)
    #expect(s.graphs[0].operators[0].attributes.isEmpty)
}

@Test func aNewerMinorVersionIsReadAndItsUnknownFieldsIgnored() throws {
    let newer = try toyGraph(("\"format_version\": \"1.1\"", "\"format_version\": \"1.9\", \"future_field\": {\"x\": [1, 2]}"),
                             ("\"role\": \"main\"", "\"role\": \"main\", \"schedule\": \"later\""))
    let s = try RepresentationCodec().import(Data(newer.utf8))
    #expect(s.formatVersion == "1.9")
    // A role this reader does not know is kept, not refused.
    let role = try toyGraph(("\"role\": \"main\"", "\"role\": \"speculative_draft\""))
    #expect(try RepresentationCodec().import(Data(role.utf8)).graphs[0].role?.rawValue == "speculative_draft")
}

// MARK: - Versions

@Test func versionsAreChecked() throws {
    let cases: [(String, String)] = [
        ("\"2.0\"", "format_version: 2.0 is a newer major version than this reader understands (1.x"),
        ("\"0.9\"", "format_version: 0.9 predates the first published format"),
        ("\"one\"", "format_version: 'one' is not a version of the form major.minor"),
        ("1.1", "format_version: expected a string such as \"1.1\", found the number 1.1"),
    ]
    for (value, message) in cases {
        let e = try #require(importFailure(try toyGraph(("\"1.1\"", value))))
        #expect(e.kind == .unsupportedVersion)
        #expect(e.description.hasPrefix("toy.graph.json: " + message), "\(e)")
    }
    let missing = try #require(importFailure(try toyGraph(("\"format_version\": \"1.1\",", ""))))
    #expect(missing.description.hasPrefix("toy.graph.json: format_version: missing"))
}

// MARK: - Not JSON, or not the schema

@Test func badJSONGivesLineAndColumn() throws {
    let e = try #require(importFailure(try toyGraph(("\"name\": \"embed\",", "\"name\": \"embed\""))))
    #expect(e.kind == .notJSON)
    #expect(e.description == "toy.graph.json: not valid JSON: line 19, column 11: unexpected '\"', expected ',' or '}'")
    #expect(importFailure(String(toyGraphJSON.prefix(200)))?.description == "toy.graph.json: not valid JSON: line 10, column 17: unterminated string")
    #expect(importFailure("{\"a\": [1, 2")?.description == "toy.graph.json: not valid JSON: line 1, column 12: unexpected end of input, expected ',' or ']'")
    #expect(importFailure("[1]")?.description == "toy.graph.json: (document): expected an object, found an array")
    #expect(importFailure("")?.kind == .notJSON)
    #expect(importFailure("{\"a\": 1, \"a\": 2}")?.description.contains("key 'a' appears twice") == true)
    #expect(importFailure("{\"a\": 01}")?.kind == .notJSON)
    #expect(importFailure("{\"a\": \"\\ud800\"}")?.description.contains("lone surrogate") == true)
}

@Test func schemaFaultsNameTheJSONPath() throws {
    let cases: [((String, String), String)] = [
        (("\"float\": 1e-05", "\"float\": \"tiny\""),
         "graphs[0].operators[1].attributes.epsilon.float: expected a number, found a string"),
        (("\"name\": \"norm\",", ""), "graphs[0].operators[1].name: missing"),
        (("\"graph_id\": 0", "\"graph_id\": 0.5"), "graphs[0].graph_id: expected an integer, found 0.5"),
        (("\"graph_id\": 0", "\"graph_id\": 99999999999999999999"), "graphs[0].graph_id: the integer 99999999999999999999 is out of range"),
        (("\"shape\": [10, 32]", "\"shape\": \"big\""), "graphs[0].variables[1].shape: expected an array, found a string"),
        (("\"shape\": [10, 32]", "\"shape\": [10, null]"), "graphs[0].variables[1].shape[1]: expected an integer, found null"),
        (("\"kind\": \"ggml\"", "\"kind\": \"sparse\""), "graphs[0].variables[1].encoding.kind: unknown encoding kind 'sparse'"),
        (("\"type\": \"Q8_0\"", "\"type\": \"Q3_X\""), "graphs[0].variables[1].encoding.type: unknown ggml type 'Q3_X'"),
        (("\"is_parameter\": true", "\"is_parameter\": 1"), "graphs[0].variables[1].is_parameter: expected true or false, found the number 1"),
        (("\"ids\": [\"token_ids\"]", "\"ids\": \"token_ids\""), "graphs[0].operators[0].inputs.ids: expected an array, found a string"),
        (("\"float\": 1e-05", "\"float\": 1e-05, \"int\": 3"), "graphs[0].operators[1].attributes.epsilon: an attribute has exactly one of"),
        (("\"family\": \"decoder-only\"", "\"family\": \"diffusion\""), "family: Cannot initialize Family from invalid String value diffusion"),
    ]
    for ((old, new), message) in cases {
        let e = try #require(importFailure(try toyGraph((old, new))), "\(new)")
        #expect(e.kind == .malformed)
        #expect(e.description.hasPrefix("toy.graph.json: " + message), "\(e)")
    }
    // Keys that are not identifiers are quoted in the path.
    let e = try #require(importFailure(try toyGraph(("\"hidden_size\": \"32\"", "\"hidden.size\": 32"))))
    #expect(e.description == "toy.graph.json: metadata[\"hidden.size\"]: expected a string, found the number 32")
}

// MARK: - Valid JSON, invalid graphs: each fault names the node

@Test func graphFaultsNameTheNode() throws {
    let cases: [((String, String), String)] = [
        // Unknown operator.
        (("\"type\": \"silu\"", "\"type\": \"frobnicate\""), "operator 'act': unknown operator type 'frobnicate'"),
        // Missing input.
        (("\"input\": [\"h\"],\n            \"weight\": [\"proj.weight\"]", "\"input\": [\"h\"]"),
         "operator 'proj' (linear): missing input 'weight'"),
        // Wrong attribute type (valid JSON, the wrong kind for the schema).
        (("\"float\": 1e-05", "\"string\": \"tiny\""), "operator 'norm' (rms_norm): attribute 'epsilon' must be float, is string"),
        // Shape mismatch.
        (("\"shape\": [3, 32]", "\"shape\": [3, 31]"), "operator 'proj' (linear): input has 32 features, weight expects 31"),
        // An activation wider than its input (every width follows from the weights).
        (("\"name\": \"logits\",\n          \"shape\": [-1, 3]", "\"name\": \"logits\",\n          \"shape\": [-1, 1099511627776]"),
         "operator 'act' (silu): output has 1099511627776 features, input 'input' has 3"),
        // A cycle: act reads its own output.
        (("\"input\": [\"y\"]", "\"input\": [\"logits\"]"), "operator 'act': input 'input' reads 'logits' before it is produced"),
        // A variable nobody declared.
        (("\"input\": [\"y\"]", "\"input\": [\"ghost\"]"), "operator 'act': variable 'ghost' is not declared"),
        // Absurd shapes.
        (("\"shape\": [-1, 3]", "\"shape\": [-2, 3]"), "variable 'y' has a bad shape [-2, 3]"),
        (("\"shape\": [-1, 3]", "\"shape\": [-1, 4294967296, 4294967296]"), "variable 'y': shape [-1, 4294967296, 4294967296] has more elements than fit in 64 bits"),
        (("\"shape\": [32]", "\"shape\": [2305843009213693952]"), "parameter 'norm.weight': [2305843009213693952] in f32 has a byte size that overflows"),
        (("\"shape\": [32]", "\"shape\": [281474976710656]"), "the graph's parameters total more than 281474976710656 elements"),
    ]
    for ((old, new), message) in cases {
        let e = try #require(importFailure(try toyGraph((old, new))), "\(new)")
        #expect(e.kind == .invalid)
        #expect(e.description.hasPrefix("toy.graph.json: ") && e.description.contains(message), "\(e)")
    }
}

/// A second graph appended to the toy structure (a copy of the main one under another id).
func withSubGraph(id: Int, parent: Int, forward: Int = -1, role: String = "fused") throws -> String {
    let graphs = toyGraphJSON.components(separatedBy: "\"graphs\": [\n")[1].components(separatedBy: "\n  ],\n  \"metadata\"")[0]
    let sub = graphs.replacingOccurrences(of: "\"graph_id\": 0", with: "\"graph_id\": \(id)")
        .replacingOccurrences(of: "\"parent_graph_id\": -1", with: "\"parent_graph_id\": \(parent)")
        .replacingOccurrences(of: "\"forward_graph_id\": -1", with: "\"forward_graph_id\": \(forward)")
        .replacingOccurrences(of: "\"role\": \"main\"", with: "\"role\": \"\(role)\"")
    return toyGraphJSON.replacingOccurrences(of: "\n  ],\n  \"metadata\"", with: ",\n" + sub + "\n  ],\n  \"metadata\"")
}

@Test func subGraphReferencesAreChecked() throws {
    #expect(importFailure(try withSubGraph(id: 1, parent: 0)) == nil)
    #expect(importFailure(try withSubGraph(id: 1, parent: 0, forward: 0, role: "backward")) == nil)
    let cases: [(String, String)] = [
        (try withSubGraph(id: 1, parent: 7), "graph 1: parent_graph_id 7 does not exist"),
        (try withSubGraph(id: 1, parent: 0, forward: 9), "graph 1: forward_graph_id 9 does not exist"),
        (try withSubGraph(id: 1, parent: 1), "graph 1: parent_graph_id chain loops back to graph 1"),
        (try withSubGraph(id: 1, parent: 0, forward: 1), "graph 1: forward_graph_id chain loops back to graph 1"),
        (try withSubGraph(id: 0, parent: 0), "graph ids are not unique: [0, 0]"),
        (try withSubGraph(id: 1, parent: 0, role: "main"), "graph 1: role main needs parent_graph_id -1, has 0"),
        (try withSubGraph(id: 1, parent: 0, role: "backward"), "graph 1: role backward needs a forward_graph_id"),
    ]
    for (json, message) in cases {
        let e = try #require(importFailure(json), "\(message)")
        #expect(e.kind == .invalid)
        #expect(e.description == "toy.graph.json: " + message, "\(e)")
    }
    // A loop through two sub-graphs, and a fault inside a sub-graph, which is prefixed with its id.
    let two = try withSubGraph(id: 1, parent: 2)
    let graphs = two.components(separatedBy: "\"graphs\": [\n")[1].components(separatedBy: "\n  ],\n  \"metadata\"")[0]
    let third = graphs.components(separatedBy: "\n    },\n    {\n")[1]
        .replacingOccurrences(of: "\"graph_id\": 1", with: "\"graph_id\": 2")
        .replacingOccurrences(of: "\"parent_graph_id\": 2", with: "\"parent_graph_id\": 1")
    let loop = two.replacingOccurrences(of: "\n  ],\n  \"metadata\"", with: ",\n    {\n" + third + "\n  ],\n  \"metadata\"")
    #expect(importFailure(loop)?.description.contains("parent_graph_id chain loops") == true)
    let inner = try withSubGraph(id: 1, parent: 0).replacingOccurrences(of: "\"type\": \"silu\"\n        }\n      ],\n      \"outputs\": [\"logits\"],\n      \"parent_graph_id\": 0",
                                                                       with: "\"type\": \"gelu2\"\n        }\n      ],\n      \"outputs\": [\"logits\"],\n      \"parent_graph_id\": 0")
    #expect(importFailure(inner)?.description == "toy.graph.json: graph 1: operator 'act': unknown operator type 'gelu2'")
}

// MARK: - Hostile input never crashes

@Test func limitsAreEnforced() throws {
    let small = RepresentationCodec(limits: .init(maxBytes: 100))
    #expect(importFailure(toyGraphJSON, codec: small)?.kind == .tooLarge)
    // Nesting past the limit is refused before it can exhaust the stack, however deep it goes.
    for depth in [33, 100_000] {
        let deep = "{\"format_version\": \"1.1\", \"metadata\": " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        let e = try #require(importFailure(deep))
        #expect(e.kind == .notJSON && e.description.contains("nested deeper than 32 levels"))
    }
    // Absurd attributes are refused, not multiplied into an overflow.
    let heads = try toyGraph(("\"type\": \"silu\"", "\"type\": \"rope\""),
                             ("\"attributes\": {},\n          \"inputs\": {\n            \"input\": [\"y\"]\n          }",
                              "\"attributes\": {\"heads\": {\"int\": 4611686018427387904}, \"head_dim\": {\"int\": 4611686018427387904}},\n          \"inputs\": {\n            \"input\": [\"y\"], \"positions\": [\"token_ids\"]\n          }"))
    #expect(importFailure(heads)?.description.contains("operator 'act' (rope): heads and head_dim must each be at most") == true)
}

@Test func damagedFilesFailWithOneLine() throws {
    // Every truncation and a sweep of byte flips: an error of one line each time, never a crash.
    let bytes = Array(toyGraphJSON.utf8)
    var damaged: [[UInt8]] = stride(from: 0, to: bytes.count, by: 37).map { Array(bytes.prefix($0)) }
    var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<300 {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var copy = bytes
        let at = Int(rng >> 33) % copy.count
        copy[at] = [UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: "9"), UInt8(ascii: "-"), 0xFF, 0][Int(rng >> 20) % 6]
        damaged.append(copy)
    }
    for d in damaged {
        do {
            _ = try RepresentationCodec().import(Data(d), file: "damaged")
        } catch let e as RepresentationError {
            #expect(!e.description.contains("\n") && e.description.hasPrefix("damaged: "), "\(e)")
        }
    }
}

@Test func nonFiniteAttributesCannotBeExported() throws {
    var g = tinyGraph()
    g.operators[2].attributes = ["alpha": .float(.infinity)]
    let s = ModelStructure(name: "bad", architecture: "test", family: .decoderOnly, origin: "test", graphs: [g])
    #expect(throws: RepresentationError.self) { try RepresentationCodec().export(s) }
}
