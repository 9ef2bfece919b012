import Foundation
import Testing
import PithTensor
@testable import PithFormats

@Suite struct SafetensorsTests {
    /// A header-length prefix plus `json` and `data`, as bytes.
    static func file(json: String, data: [UInt8]) -> [UInt8] {
        let header = Array(json.utf8)
        return withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + data
    }

    @Test func readsHandBuiltFile() throws {
        let json = #"{"__metadata__":{"format":"pt"},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let data: [UInt8] = [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0x00, 0x3c, 0x00, 0xbc]
        let dir = try TempDir()
        let f = try SafetensorsFile(url: try dir.write(Self.file(json: json, data: data), to: "m.safetensors"))
        #expect(f.metadata == ["format": "pt"])
        #expect(f.tensors.map(\.name) == ["a", "b"])  // sorted by offset
        let a = try #require(f.tensor(named: "a"))
        #expect(a.dtype == .f32 && a.shape == [2] && a.byteCount == 8 && a.elementCount == 2)
        #expect(Array(f.data(for: a).floats) == [1, -2])
        let b = try #require(f.tensor(named: "b"))
        #expect(b.dtype == .f16 && b.offset == f.dataOffset + 8)
        #expect(Array(f.data(for: b).bytes) == [0x00, 0x3c, 0x00, 0xbc])
        #expect(f.tensor(named: "c") == nil)
    }

    @Test func writerProducesTheReferenceLayout() throws {
        // Larger elements first, then by name; header space-padded to a multiple of 8 (8-byte length included).
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("w.safetensors")
        let f16: [UInt8] = [0x00, 0x3c]
        let f32: [Float] = [1.5]
        try f16.withUnsafeBytes { h in
            try f32.withUnsafeBytes { s in
                try SafetensorsWriter.write([("h", .f16, [1], h), ("s", .f32, [], s)], metadata: ["k": "v\"q"], to: url)
            }
        }
        let bytes = Array(try Data(contentsOf: url))
        let json = #"{"__metadata__":{"k":"v\"q"},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"h":{"dtype":"F16","shape":[1],"data_offsets":[4,6]}}"#
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        #expect(bytes == Self.file(json: String(decoding: header, as: UTF8.self), data: [0, 0, 0xc0, 0x3f, 0x00, 0x3c]))
        let back = try SafetensorsFile(url: url)
        #expect(back.metadata == ["k": "v\"q"])
        #expect(back.dataOffset % 8 == 0)
        #expect(back.tensor(named: "s")?.shape == [] && back.tensor(named: "s")?.elementCount == 1)
    }

    @Test func roundTripEveryDType() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("all.safetensors")
        let payloads: [(String, ScalarType, [Int], [UInt8])] = ScalarType.allCases.enumerated().map { i, t in
            let shape = [2, 3]
            let n = 6 * t.byteSize
            return ("t.\(t.rawValue)", t, shape, (0..<n).map { UInt8(truncatingIfNeeded: $0 * 13 + i) })
        } + [("empty", .f32, [0, 4], [])]
        try withBuffers(payloads.map(\.3)) { buffers in
            let tensors = zip(payloads, buffers).map { p, b in (name: p.0, dtype: p.1, shape: p.2, data: b) }
            try SafetensorsWriter.write(tensors, to: url)
        }
        let f = try SafetensorsFile(url: url)
        #expect(f.tensors.count == payloads.count)
        #expect(f.metadata.isEmpty)
        for (name, dtype, shape, data) in payloads {
            let info = try #require(f.tensor(named: name))
            #expect(info.dtype == dtype && info.shape == shape)
            #expect(Array(f.data(for: info).bytes) == data, "\(name)")
            #expect((info.offset - f.dataOffset) % dtype.byteSize == 0, "\(name) stays aligned")
        }
    }

    @Test func writerRejectsBadInput() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("bad.safetensors")
        let four: [UInt8] = [1, 2, 3, 4]
        four.withUnsafeBytes { b in
            #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([("a", .f32, [2], b)], to: url) }
            #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([("a", .f32, [1], b), ("a", .f32, [1], b)], to: url) }
            #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([("__metadata__", .f32, [1], b)], to: url) }
            #expect(throws: SafetensorsError.self) { try SafetensorsWriter.write([("n", .f32, [-1], b)], to: url) }
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func shardedCollection() throws {
        let dir = try TempDir()
        let one: [Float] = [1, 2], two: [Float] = [3]
        try one.withUnsafeBytes { try SafetensorsWriter.write([("x", .f32, [2], $0)], to: dir.url.appendingPathComponent("model-00001-of-00002.safetensors")) }
        try two.withUnsafeBytes { try SafetensorsWriter.write([("y", .f32, [1], $0)], to: dir.url.appendingPathComponent("model-00002-of-00002.safetensors")) }
        let index = #"{"metadata":{"total_size":12},"weight_map":{"x":"model-00001-of-00002.safetensors","y":"model-00002-of-00002.safetensors"}}"#
        _ = try dir.write(Array(index.utf8), to: "model.safetensors.index.json")

        for url in [dir.url, dir.url.appendingPathComponent("model.safetensors.index.json")] {
            let c = try SafetensorsCollection(url: url)
            #expect(c.tensorNames == ["x", "y"])
            #expect(c.files.count == 2)
            let y = try #require(c.tensor(named: "y"))
            #expect(y.info.shape == [1] && Array(y.data.floats) == [3])
            #expect(c.tensor(named: "z") == nil)
        }

        // An index naming a tensor its shard lacks, a missing shard, or a path outside the folder is refused.
        for (map, text) in [(#"{"w":"model-00001-of-00002.safetensors"}"#, "not in its shard"),
                            (#"{"x":"model-00009.safetensors"}"#, "does not exist"),
                            (#"{"x":"../model-00001-of-00002.safetensors"}"#, "same folder")] {
            let bad = try dir.write(Array(#"{"weight_map":\#(map)}"#.utf8), to: "bad.index.json")
            #expect { try SafetensorsCollection(url: bad) } throws: { e in
                "\(e)".hasPrefix(bad.path) && "\(e)".contains(text)
            }
        }
    }

    @Test func folderWithoutWeights() throws {
        let dir = try TempDir()
        #expect { try SafetensorsCollection(url: dir.url) } throws: { e in "\(e)".contains("model.safetensors") }
    }
}

/// Calls `body` with stable buffers over each byte array.
func withBuffers<R>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) throws -> R) throws -> R {
    var pointers: [UnsafeMutableRawBufferPointer] = []
    defer { pointers.forEach { $0.deallocate() } }
    for a in arrays {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: a.count, alignment: 16)
        p.copyBytes(from: a)
        pointers.append(p)
    }
    return try body(pointers.map { UnsafeRawBufferPointer($0) })
}
