import Foundation
import Testing
@testable import PithFormats

/// Every malformed file must throw a `SafetensorsError` naming the fault, never trap.
@Suite struct SafetensorsCorruptTests {
    static let json = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I8","shape":[2,2],"data_offsets":[8,12]}}"#

    private func expectFault(_ bytes: [UInt8], _ kind: SafetensorsError.Kind, containing text: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let dir = try TempDir()
        do {
            _ = try SafetensorsFile(url: try dir.write(bytes, to: "bad.safetensors"))
            Issue.record("expected a \(kind) error", sourceLocation: sourceLocation)
        } catch let e as SafetensorsError {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.contains(text), "\(e)", sourceLocation: sourceLocation)
            #expect(e.description.hasPrefix(dir.url.path), sourceLocation: sourceLocation)
        }
    }

    private func file(_ json: String, dataBytes: Int = 12) -> [UInt8] {
        SafetensorsTests.file(json: json, data: [UInt8](repeating: 7, count: dataBytes))
    }

    @Test func truncationAtEveryOffsetThrows() throws {
        let bytes = file(Self.json)
        let dir = try TempDir()
        for n in 0..<bytes.count {
            #expect(throws: SafetensorsError.self, "truncated to \(n) bytes") {
                _ = try SafetensorsFile(url: try dir.write(Array(bytes[..<n]), to: "t\(n).safetensors"))
            }
        }
        _ = try SafetensorsFile(url: try dir.write(bytes, to: "whole.safetensors"))
    }

    @Test func badHeaderLength() throws {
        var bytes = file(Self.json)
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64.max.littleEndian) { Array($0) })
        try expectFault(bytes, .invalidHeader, containing: "exceeds")
        bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(5000).littleEndian) { Array($0) })
        try expectFault(bytes, .truncated, containing: "runs past end of file")
    }

    @Test func badJSON() throws {
        try expectFault(file(#"{"a": {"dtype": "F32""#), .invalidHeader, containing: "not valid JSON")
        try expectFault(file(#"[1, 2]"#), .invalidHeader, containing: "start with '{'")
        try expectFault(file(#"{"__metadata__": {"k": 1}}"#), .invalidHeader, containing: "not a string")
    }

    @Test func badTensorEntries() throws {
        func entry(_ body: String) -> [UInt8] { file(#"{"a":{\#(body)}}"#) }
        try expectFault(entry(#""dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]"#), .invalidTensor, containing: "'F8_E4M3'")
        try expectFault(entry(#""dtype":"F32","shape":[-1],"data_offsets":[0,4]"#), .invalidTensor, containing: "non-negative")
        try expectFault(entry(#""dtype":"F32","shape":[1],"data_offsets":[4,0]"#), .invalidTensor, containing: "begin ≤ end")
        try expectFault(entry(#""dtype":"F32","shape":[4],"data_offsets":[0,16]"#), .invalidTensor, containing: "runs past the data region")
        try expectFault(entry(#""dtype":"F32","shape":[2],"data_offsets":[0,12]"#), .invalidTensor, containing: "needs 8")
        try expectFault(entry(#""dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]"#), .invalidTensor, containing: "overflows")
        try expectFault(entry(#""shape":[1],"data_offsets":[0,4]"#), .invalidTensor, containing: "no dtype")
    }

    @Test func overlappingTensors() throws {
        let json = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try expectFault(file(json), .invalidTensor, containing: "overlaps tensor 'a'")
    }
}
