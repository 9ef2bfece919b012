import Foundation
import Testing
@testable import PithFormats

/// Every malformed file must throw a `GGUFError` naming the fault, never trap.
@Suite struct GGUFCorruptTests {
    private func open(_ bytes: [UInt8], _ dir: TempDir, name: String = "bad.gguf") throws -> GGUFFile {
        try GGUFFile(url: try dir.write(bytes, to: name))
    }

    private func expectFault(_ bytes: [UInt8], _ kind: GGUFError.Kind, containing text: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TempDir()
        do {
            _ = try open(bytes, dir)
            Issue.record("expected a \(kind) error", sourceLocation: sourceLocation)
        } catch let e as GGUFError {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.contains(text), "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.hasPrefix(dir.url.path), sourceLocation: sourceLocation)
            #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    @Test func truncationAtEveryOffsetThrows() throws {
        let bytes = GGUFBytes.sample().bytes
        let dir = try TempDir()
        for n in 0..<bytes.count {
            #expect(throws: GGUFError.self, "truncated to \(n) bytes") {
                _ = try open(Array(bytes[..<n]), dir, name: "t\(n).gguf")
            }
        }
        _ = try open(bytes, dir)
    }

    @Test func badMagic() throws {
        var bytes = GGUFBytes.sample().bytes
        bytes[0] = UInt8(ascii: "X")
        try expectFault(bytes, .badMagic, containing: "not a GGUF file")
    }

    @Test func badVersions() throws {
        for version: UInt32 in [1, 4, 0x0300_0000] {
            var b = GGUFBytes()
            b.header(version: version, tensors: 0, kvs: 0)
            try expectFault(b.bytes, .unsupportedVersion, containing: "version \(version)")
        }
    }

    @Test func lyingCounts() throws {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: UInt64.max)
        try expectFault(b.bytes, .truncated, containing: "metadata count")

        b = GGUFBytes()
        b.header(tensors: 1 << 40, kvs: 0)
        try expectFault(b.bytes, .truncated, containing: "tensor count")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.u64(1 << 50)  // key length
        b.bytes += [UInt8](repeating: 0, count: 16)
        try expectFault(b.bytes, .truncated, containing: "length of key")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("arr"); b.u32(9); b.u32(4); b.u64(1_000_000)
        try expectFault(b.bytes, .truncated, containing: "count of array 'arr'")
    }

    @Test func badMetadata() throws {
        var b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("k"); b.u32(13); b.u32(0)
        try expectFault(b.bytes, .invalidMetadata, containing: "unknown value type 13")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.u64(2); b.bytes += [0xff, 0xfe]; b.u32(4); b.u32(0)
        try expectFault(b.bytes, .invalidMetadata, containing: "not valid UTF-8")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 2)
        b.kvU32("k", 1); b.kvU32("k", 2)
        try expectFault(b.bytes, .invalidMetadata, containing: "appears twice")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.kvU32("general.alignment", 48)
        try expectFault(b.bytes, .invalidMetadata, containing: "not a power of two")

        b = GGUFBytes()
        b.header(tensors: 0, kvs: 1)
        b.string("deep"); b.u32(9)
        for _ in 0..<20 { b.u32(9); b.u64(1) }
        b.u32(0); b.u64(0)
        try expectFault(b.bytes, .invalidMetadata, containing: "deeper")
    }

    private func oneTensor(dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, dataBytes: Int = 64) -> [UInt8] {
        var b = GGUFBytes()
        b.header(tensors: 1, kvs: 0)
        b.tensorInfo("blk.0.attn_q.weight", dims: dims, type: type, offset: offset)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: dataBytes)
        return b.bytes
    }

    @Test func badTensors() throws {
        try expectFault(oneTensor(dims: [4], type: 99), .invalidTensor, containing: "unknown ggml type id 99")
        try expectFault(oneTensor(dims: [4, 0]), .invalidTensor, containing: "dimension 0")
        try expectFault(oneTensor(dims: [1, 1, 1, 1, 1]), .invalidTensor, containing: "5 dimensions")
        try expectFault(oneTensor(dims: [1 << 32, 1 << 32]), .invalidTensor, containing: "overflows")
        try expectFault(oneTensor(dims: [16], type: 8), .invalidTensor, containing: "block size 32")
        try expectFault(oneTensor(dims: [17]), .invalidTensor, containing: "runs past end of file")
        try expectFault(oneTensor(dims: [4], offset: 4), .invalidTensor, containing: "not a multiple of the alignment 32")
        try expectFault(oneTensor(dims: [4], offset: 1 << 40), .invalidTensor, containing: "runs past end of file")
        try expectFault(oneTensor(dims: [4], offset: UInt64.max - 31), .invalidTensor, containing: "does not fit")
    }

    @Test func overlappingAndDuplicateTensors() throws {
        var b = GGUFBytes()
        b.header(tensors: 2, kvs: 0)
        b.tensorInfo("a", dims: [16], type: 0, offset: 0)
        b.tensorInfo("b", dims: [4], type: 0, offset: 32)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: 96)
        try expectFault(b.bytes, .invalidTensor, containing: "overlaps tensor 'a'")

        b = GGUFBytes()
        b.header(tensors: 2, kvs: 0)
        b.tensorInfo("a", dims: [4], type: 0, offset: 0)
        b.tensorInfo("a", dims: [4], type: 0, offset: 32)
        b.pad(to: 32)
        b.bytes += [UInt8](repeating: 0, count: 64)
        try expectFault(b.bytes, .invalidTensor, containing: "appears twice")
    }

    @Test func missingFile() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("absent.gguf")
        #expect { try GGUFFile(url: url) } throws: { e in
            (e as? GGUFError)?.kind == .io && "\(e)".hasPrefix(url.path)
        }
    }
}
