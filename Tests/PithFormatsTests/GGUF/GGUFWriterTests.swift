import Foundation
import Testing
import PithTensor
@testable import PithFormats

@Suite struct GGUFWriterTests {
    static let metadata: [(String, GGUFValue)] = [
        ("general.architecture", .string("llama")),
        ("llama.block_count", .uint32(2)),
        ("i8", .int8(-3)), ("u16", .uint16(65535)), ("i16", .int16(-2)), ("i32", .int32(-7)),
        ("f32", .float32(0.25)), ("flag", .bool(true)), ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))),
        ("f64", .float64(1e-300)), ("u8", .uint8(200)),
        ("tokens", .array([.string("a"), .string("ü"), .string("")])),
        ("nested", .array([.array([.int32(1), .int32(2)]), .array([])])),
        ("empty", .array([])),
    ]

    @Test func roundTrip() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("out.gguf")
        let w = try GGUFWriter(url: url, alignment: 64)
        for (k, v) in Self.metadata { try w.setMetadata(k, v) }
        let f32: [Float] = (0..<12).map { Float($0) - 5.5 }
        let q8 = (0..<68).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try w.addTensor(name: "a.weight", dimensions: [4, 3], type: .f32)
        try w.addTensor(name: "b.weight", dimensions: [32, 2], type: .q8_0)
        #expect(w.state == .describing)
        try f32.withUnsafeBytes { try w.writeTensorData($0, for: "a.weight") }
        #expect(w.state == .writingData(next: 1))
        try q8.withUnsafeBytes { try w.writeTensorData($0, for: "b.weight") }
        try w.finish()
        #expect(w.state == .finished)

        let g = try GGUFFile(url: url)
        #expect(g.version == 3)
        #expect(g.alignment == 64)
        #expect(g.metadataKeys == ["general.alignment"] + Self.metadata.map(\.0))
        for (k, v) in Self.metadata { #expect(g.metadata[k] == v, "\(k)") }
        #expect(g.tensors.map(\.name) == ["a.weight", "b.weight"])
        let a = try #require(g.tensor(named: "a.weight"))
        #expect(a.dimensions == [4, 3] && a.type == .f32 && a.offset % 64 == 0)
        #expect(Array(g.data(for: a).floats) == f32)
        let b = try #require(g.tensor(named: "b.weight"))
        #expect(b.dimensions == [32, 2] && b.type == .q8_0 && b.offset % 64 == 0)
        #expect(Array(g.data(for: b).bytes) == q8)
        // No temporary file is left next to the result.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["out.gguf"])
    }

    @Test func stateMachineRefusesOutOfOrderUse() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("x.gguf")
        let w = try GGUFWriter(url: url)
        try w.addTensor(name: "t", dimensions: [2], type: .f32)
        try w.addTensor(name: "u", dimensions: [2], type: .f32)
        let two: [Float] = [1, 2]
        try two.withUnsafeBytes { bytes in
            #expect(throws: GGUFError.self) { try w.writeTensorData(bytes, for: "u") }  // out of order
            #expect(throws: GGUFError.self) { try w.writeTensorData(UnsafeRawBufferPointer(rebasing: bytes[0..<4]), for: "t") }
            try w.writeTensorData(bytes, for: "t")
        }
        #expect(throws: GGUFError.self) { try w.setMetadata("late", .bool(true)) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "late", dimensions: [2], type: .f32) }
        #expect(throws: GGUFError.self) { try w.finish() }  // "u" unwritten
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func rejectsBadDescriptions() throws {
        let dir = try TempDir()
        #expect(throws: GGUFError.self) { _ = try GGUFWriter(url: dir.url.appendingPathComponent("a.gguf"), alignment: 24) }
        let w = try GGUFWriter(url: dir.url.appendingPathComponent("b.gguf"))
        try w.setMetadata("k", .uint8(1))
        #expect(throws: GGUFError.self) { try w.setMetadata("k", .uint8(2)) }
        #expect(throws: GGUFError.self) { try w.setMetadata("mixed", .array([.uint8(1), .int8(1)])) }
        // An alignment other than the writer's made a file its own reader refuses (found seeding scripts/fuzz.sh).
        #expect(throws: GGUFError.self) { try w.setMetadata("general.alignment", .uint32(64)) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "q", dimensions: [16], type: .q4_0) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "z", dimensions: [0], type: .f32) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: String(repeating: "n", count: 64), dimensions: [1], type: .f32) }
        try w.addTensor(name: "t", dimensions: [1], type: .f32)
        #expect(throws: GGUFError.self) { try w.addTensor(name: "t", dimensions: [1], type: .f32) }
    }

    @Test func emptyFileRoundTrips() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("empty.gguf")
        let w = try GGUFWriter(url: url)
        try w.finish()
        let g = try GGUFFile(url: url)
        #expect(g.tensors.isEmpty && g.metadata.isEmpty)
    }
}
