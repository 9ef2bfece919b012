import Crypto
import Foundation
import Testing
import PithGraph
import PithModels
@testable import PithPackaging

struct PackageContainerTests {
    @Test func fixedRecordsHaveTheirDocumentedSizes() {
        #expect(FileHeader().encoded().count == FileHeader.size)
        #expect(ModelHeader().encoded().count == ModelHeader.size)
        #expect(SectionEntry(name: "x").encoded(nameOffset: 0).count == SectionEntry.size)
    }

    @Test func sectionsRoundTripAtEveryAlignment() throws {
        var writer = PackageWriter()
        let sizes = [0, 1, 63, 64, 65, 1000]
        for (i, n) in sizes.enumerated() {
            writer.sections.append(.init(name: "Program/s\(i).bin", source: .bytes((0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + i) })))
        }
        let url = temporaryURL("sections.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let reader = try PackageReader(url: url)
        #expect(reader.sections.count == sizes.count)
        for (i, n) in sizes.enumerated() {
            let data = try reader.section(named: "Program/s\(i).bin")
            #expect(data.array == (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + i) })
            #expect(reader.sections[i].offset % 64 == 0)
        }
        #expect(try reader.verify().sectionsChecked == sizes.count)
    }

    @Test func aPackagedModelComputesWhatTheModelComputes() throws {
        let model = try tinyModel()
        let url = temporaryURL("tiny.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        try Packer.pack([model], options: Packer.Options(), to: url)
        let loaded = try PackagedModelLoader.load(try PackageReader(url: url))
        #expect(loaded.structure == model.structure)
        for v in model.structure.graphs[0].variables where v.isParameter {
            #expect(loaded.weights[v.name].map { Array($0.bytes) } == model.weights[v.name].map { Array($0.bytes) })
        }
        // Tensors are borrowed from the mapping, 64-byte aligned.
        let index = try TensorIndex.decode(try PackageReader(url: url).section(named: "Model/0/tensors.json").data, file: "")
        #expect(index.tensors.allSatisfy { $0.offset % 64 == 0 })
    }

    @Test func missingRequiredMetaInformationIsNamed() throws {
        var model = try tinyModel()
        model.structure.metadata = [:]
        let url = temporaryURL("nometa.pith")
        #expect { try Packer.pack([model], options: Packer.Options(), to: url) } throws: {
            "\($0)".contains("version") && "\($0)".contains("provider") && "\($0)".contains("license")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        var options = Packer.Options()
        options.meta = ["managementinfo": ["version": "2", "provider": "me", "license": "mit"]]
        defer { try? FileManager.default.removeItem(at: url) }
        try Packer.pack([model], options: options, to: url)
        let meta = try PackageReader(url: url).section(named: "Meta-info/managementinfo.json").data
        let json = try #require(try JSONSerialization.jsonObject(with: meta) as? [String: Any])
        #expect(json["provider"] as? String == "me")
        #expect(json["task"] as? String == "text-generation")
        let technical = try #require(try JSONSerialization.jsonObject(with: try PackageReader(url: url).section(named: "Meta-info/technicalinfo.json").data) as? [String: Any])
        let ptm = try #require(technical["PTM_info"] as? [String: Any])
        #expect(ptm["blocks"] as? Int == 1 && ptm["hidden_size"] as? Int == 8 && ptm["kv_heads"] as? Int == 1 && ptm["vocabulary_size"] as? Int == 24)
    }

    /// GB/T 42382.2 §8 integrity: a change to any single byte of the file is caught by opening, verifying or loading,
    /// with an error that names the part at fault.
    @Test(arguments: [false, true])
    func everyFlippedByteIsDetected(signed: Bool) throws {
        let url = temporaryURL("flip.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var options = Packer.Options()
        if signed { options.signingKey = Curve25519.Signing.PrivateKey() }
        try Packer.pack([try tinyModel()], options: options, to: url)
        let original = try Data(contentsOf: url)
        try openVerifyAndLoad(url)
        let damaged = temporaryURL("flipped.pith")
        defer { try? FileManager.default.removeItem(at: damaged) }
        var undetected: [Int] = []
        for offset in 0..<original.count {
            var copy = original
            copy[offset] ^= 0x01
            try copy.write(to: damaged)
            do {
                try openVerifyAndLoad(damaged)
                undetected.append(offset)
            } catch {
                let message = "\(error)"
                #expect(message.contains("header") || message.contains("section") || message.contains("signature")
                        || message.contains("padding") || message.contains("bytes"), "offset \(offset): \(message)")
            }
        }
        #expect(undetected.isEmpty, "undetected flips at \(undetected.prefix(10))")
        print("flipped each of \(original.count) bytes (signed: \(signed)): all detected")
    }

    @Test func truncationAtEveryOffsetIsRejected() throws {
        let url = temporaryURL("cut.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        try Packer.pack([try tinyModel()], options: Packer.Options(), to: url)
        let original = try Data(contentsOf: url)
        let cut = temporaryURL("cut-short.pith")
        defer { try? FileManager.default.removeItem(at: cut) }
        for length in 0..<original.count {
            try original.prefix(length).write(to: cut)
            #expect(throws: (any Error).self, "length \(length)") { try openVerifyAndLoad(cut) }
        }
    }

    /// Headers that lie but carry a correct digest (as a forger would write them) are still refused.
    @Test func lyingHeadersAreRefused() throws {
        let url = temporaryURL("lies.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        try Packer.pack([try tinyModel()], options: Packer.Options(), to: url)
        let original = [UInt8](try Data(contentsOf: url))
        let h = try original.withUnsafeBytes { try FileHeader.decode($0) }

        func rewritten(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
            var bytes = original
            edit(&bytes)
            let digest = Array(SHA256.hash(data: bytes[0..<(h.headerSize - 32)]))
            bytes.replaceSubrange((h.headerSize - 32)..<h.headerSize, with: digest)
            return bytes
        }
        func put64(_ bytes: inout [UInt8], _ at: Int, _ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.replaceSubrange(at..<(at + 8), with: $0) } }
        func put32(_ bytes: inout [UInt8], _ at: Int, _ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.replaceSubrange(at..<(at + 4), with: $0) } }
        let entry = h.sectionTableOffset
        let cases: [(String, [UInt8])] = [
            ("offset past the end", rewritten { put64(&$0, entry + 8, UInt64(original.count + 4096)) }),
            ("absurd size", rewritten { put64(&$0, entry + 16, UInt64.max / 2) }),
            ("overlap", rewritten { put64(&$0, entry + SectionEntry.size + 8, UInt64(h.dataOffset)) }),
            ("absurd section count", rewritten { put32(&$0, 28, UInt32.max) }),
            ("absurd model count", rewritten { put32(&$0, 24, 1 << 20) }),
            ("name outside the strings", rewritten { put32(&$0, entry, UInt32.max - 3) }),
            ("model names a missing section", rewritten { put32(&$0, h.modelTableOffset + 8, 9999) }),
            ("huge original size", rewritten { put64(&$0, entry + 24, UInt64(1) << 50) }),
            // Offsets whose sum with a table's size overflowed trapped instead of throwing (found writing scripts/fuzz.sh).
            ("model table offset that overflows", rewritten { put64(&$0, 32, UInt64(Int.max)) }),
            ("section table offset that overflows", rewritten { put64(&$0, 40, UInt64(Int.max)) }),
            ("signature offset that overflows", rewritten { put32(&$0, 12, FileHeader.Flags.signed.rawValue); put64(&$0, 80, UInt64(Int.max - 7)) }),
        ]
        let lie = temporaryURL("lie.pith")
        defer { try? FileManager.default.removeItem(at: lie) }
        for (name, bytes) in cases {
            try Data(bytes).write(to: lie)
            #expect(throws: (any Error).self, "\(name)") { try openVerifyAndLoad(lie) }
        }
    }

    /// A tensor-coded data section whose model names it as its own tensor index needed its
    /// layout to read its layout, and recursed until the stack ran out (found writing scripts/fuzz.sh).
    @Test func aTensorIndexThatNeedsItselfIsRefused() throws {
        let url = temporaryURL("self-index.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        try Packer.pack([try tinyModel()], options: Packer.Options(), to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        let reader = try PackageReader(url: url)
        let (h, m) = (reader.header, reader.models[0])
        func put32(_ at: Int, _ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.replaceSubrange(at..<(at + 4), with: $0) } }
        // Model 0's tensor index becomes its tensor data section, which is marked rANS-coded; checksums made to match.
        let model = h.modelTableOffset
        put32(model + 12, m.tensorDataSection)
        bytes[h.sectionTableOffset + Int(m.tensorDataSection) * SectionEntry.size + 32] = SectionCoding.tensorCoding.rawValue
        var lying = m
        lying.tensorIndexSection = m.tensorDataSection
        bytes.replaceSubrange((model + 96)..<(model + 128), with: ModelHeader.checksum(of: lying.sectionIndices, entries: reader.sections))
        bytes.replaceSubrange((h.headerSize - 32)..<h.headerSize, with: Array(SHA256.hash(data: bytes[0..<(h.headerSize - 32)])))
        let lie = temporaryURL("self-index-lie.pith")
        defer { try? FileManager.default.removeItem(at: lie) }
        try Data(bytes).write(to: lie)
        let opened = try PackageReader(url: lie)
        #expect(opened.models[0].tensorIndexSection == opened.models[0].tensorDataSection)
        #expect { _ = try PackagedModelLoader.load(opened) } throws: { "\($0)".contains("tensor index") }
        #expect(throws: (any Error).self) { _ = try opened.section(Int(m.tensorDataSection)) }
    }

    @Test func encryptedPackagesNeedTheRightKeyAndPassphrase() throws {
        let model = try tinyModel()
        let key = SymmetricKey(size: .bits256)
        let url = temporaryURL("secret.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        var options = Packer.Options()
        options.encryption = PackageEncryption(key: key, chunkSize: 512)
        try Packer.pack([model], options: options, to: url)
        let reader = try PackageReader(url: url)
        #expect(reader.header.flags.contains(.encrypted))
        // Meta-information stays readable; the model does not.
        _ = try reader.section(named: "Meta-info/managementinfo.json")
        #expect { try PackagedModelLoader.load(reader) } throws: { "\($0)".contains("give the key") }
        #expect { try PackagedModelLoader.load(reader, decryption: PackageDecryption(key: SymmetricKey(size: .bits256))) } throws: {
            "\($0)".contains("wrong key")
        }
        let loaded = try PackagedModelLoader.load(reader, decryption: PackageDecryption(key: key))
        #expect(loaded.weights["token_embd.weight"].map { Array($0.bytes) } == model.weights["token_embd.weight"].map { Array($0.bytes) })
        // The stored bytes are not the plaintext.
        let stored = reader.storedBytes(try #require(reader.index(of: "Model/0/tensors.bin")))
        #expect(stored.count > (model.weights["token_embd.weight"]?.count ?? 0))

        let phraseURL = temporaryURL("phrase.pith")
        defer { try? FileManager.default.removeItem(at: phraseURL) }
        options.encryption = try PackageEncryption(passphrase: "correct horse", parameters: ScryptParameters(log2Cost: 4, blockSize: 1, parallelism: 1))
        try Packer.pack([model], options: options, to: phraseURL)
        let phraseReader = try PackageReader(url: phraseURL)
        _ = try PackagedModelLoader.load(phraseReader, decryption: PackageDecryption(passphrase: "correct horse"))
        #expect { try PackagedModelLoader.load(phraseReader, decryption: PackageDecryption(passphrase: "wrong horse")) } throws: {
            "\($0)".contains("wrong key")
        }
    }

    @Test func signaturesProveWhoPacked() throws {
        let url = temporaryURL("signed.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        let signer = Curve25519.Signing.PrivateKey()
        var options = Packer.Options()
        options.signingKey = signer
        try Packer.pack([try tinyModel()], options: options, to: url)
        let reader = try PackageReader(url: url)
        #expect(try reader.verify(trustedKey: signer.publicKey).signerTrusted)
        #expect { try reader.verify(trustedKey: Curve25519.Signing.PrivateKey().publicKey) } throws: { "\($0)".contains("not by the trusted key") }
        let unsigned = temporaryURL("unsigned.pith")
        defer { try? FileManager.default.removeItem(at: unsigned) }
        try Packer.pack([try tinyModel()], options: Packer.Options(), to: unsigned)
        #expect { try PackageReader(url: unsigned).verify(trustedKey: signer.publicKey) } throws: { "\($0)".contains("not signed") }
    }

    @Test func unpackRefusesNamesThatEscapeTheFolder() throws {
        var writer = PackageWriter()
        writer.sections.append(.init(name: "Program/ok.txt", source: .bytes([1])))
        #expect(throws: PackageError.self) {
            var w = writer
            w.sections.append(.init(name: "Program/../../evil", source: .bytes([1])))
            try w.write(to: temporaryURL("evil.pith"))
        }
    }
}

/// The test vector of docs/FORMAT.md: a package holding one section `Program/hello.txt` = "hello", unsigned and plain.
/// Any change to the layout changes these bytes; the document and this test must change together.
@Test func formatDocumentTestVector() throws {
    var writer = PackageWriter()
    writer.sections.append(.init(name: "Program/hello.txt", source: .bytes(Array("hello".utf8))))
    let url = temporaryURL("vector.pith")
    defer { try? FileManager.default.removeItem(at: url) }
    try writer.write(to: url)
    let bytes = [UInt8](try Data(contentsOf: url))
    let hexLines = stride(from: 0, to: bytes.count, by: 16).map { start in
        bytes[start..<min(start + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
    }
    if hexLines != FormatVector.lines { print(hexLines.joined(separator: "\n")) }
    #expect(hexLines == FormatVector.lines)
}

enum FormatVector {
    static let lines: [String] = [
        "50 49 54 48 50 4b 47 00 01 00 00 00 00 00 00 00",
        "11 01 00 00 00 00 00 00 00 00 00 00 01 00 00 00",
        "80 00 00 00 00 00 00 00 80 00 00 00 00 00 00 00",
        "e0 00 00 00 00 00 00 00 11 00 00 00 00 00 00 00",
        "40 01 00 00 00 00 00 00 45 01 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 11 00 00 00 40 01 00 00 00 00 00 00",
        "05 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "2c f2 4d ba 5f b0 a3 0e 26 e8 3b 2a c5 b9 e2 9e",
        "1b 16 1e 5c 1f a7 42 5e 73 04 33 62 93 8b 98 24",
        "50 72 6f 67 72 61 6d 2f 68 65 6c 6c 6f 2e 74 78",
        "74 5c 0b b1 c2 11 71 7b 49 65 e9 cb 97 70 f9 23",
        "85 a7 11 28 58 3e a4 de 67 91 2d b8 c9 e4 c9 02",
        "33 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
        "68 65 6c 6c 6f",
    ]
}
