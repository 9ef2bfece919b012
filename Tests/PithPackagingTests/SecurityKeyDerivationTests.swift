import Crypto
import Foundation
import Testing
@testable import PithPackaging

private func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

private func raw(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

/// Cheap parameters for tests: N = 16, 2 KiB.
private let fast = ScryptParameters(log2Cost: 4, blockSize: 1, parallelism: 1)

// MARK: - scrypt

@Test func scryptMatchesRFC7914TestVector1() throws {
    // RFC 7914 §12: P = "", S = "", N = 16, r = 1, p = 1, dkLen = 64.
    let expected = hex("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
        + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    #expect(raw(try PassphraseKey.scrypt([], salt: [], parameters: fast, outputByteCount: 64)) == expected)
    // The public 32-byte key is the first half: scrypt's last step is PBKDF2, whose first block does not
    // depend on the output length.
    #expect(raw(try PassphraseKey.derive(passphrase: "", salt: [], parameters: fast)) == Array(expected[..<32]))
}

@Test func scryptMatchesRFC7914TestVector2() throws {
    // P = "password", S = "NaCl", N = 1024, r = 8, p = 16: 16 MiB of work.
    let expected = hex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    let parameters = ScryptParameters(log2Cost: 10, blockSize: 8, parallelism: 16)
    #expect(raw(try PassphraseKey.scrypt(Array("password".utf8), salt: Array("NaCl".utf8),
                                         parameters: parameters, outputByteCount: 64)) == expected)
}

@Test func passphrasesAreNormalisedToNFC() throws {
    let salt = [UInt8](repeating: 7, count: 16)
    let composed = try PassphraseKey.derive(passphrase: "caf\u{E9}", salt: salt, parameters: fast)
    let decomposed = try PassphraseKey.derive(passphrase: "cafe\u{301}", salt: salt, parameters: fast)
    let other = try PassphraseKey.derive(passphrase: "cafe", salt: salt, parameters: fast)
    #expect(raw(composed) == raw(decomposed))
    #expect(raw(composed) != raw(other))
    #expect(raw(composed).count == 32)
}

@Test func parametersOutsideTheLimitsAreRefused() {
    let cases: [(ScryptParameters, String)] = [
        (.init(log2Cost: 0, blockSize: 8, parallelism: 1), "key derivation: scrypt log2 N 0 is outside 1...30"),
        (.init(log2Cost: 31, blockSize: 8, parallelism: 1), "key derivation: scrypt log2 N 31 is outside 1...30"),
        (.init(log2Cost: 10, blockSize: 0, parallelism: 1), "key derivation: scrypt r 0 is outside 1...16"),
        (.init(log2Cost: 10, blockSize: 8, parallelism: 0), "key derivation: scrypt p 0 is outside 1...16"),
        (.init(log2Cost: 16, blockSize: 1, parallelism: 1), "key derivation: scrypt N = 2^16 must be below 2^16 for r = 1"),
        (.init(log2Cost: 21, blockSize: 8, parallelism: 1), "key derivation: scrypt N = 2^21, r = 8, p = 1 needs more than 1024 MiB"),
    ]
    for (parameters, message) in cases {
        #expect(throws: SecurityError.invalidKeyDerivation(String(message.dropFirst("key derivation: ".count)))) {
            try parameters.validate()
        }
        #expect((try? PassphraseKey.derive(passphrase: "x", salt: [], parameters: parameters)) == nil)
        #expect(SecurityError.invalidKeyDerivation(String(message.dropFirst(16))).description == message)
    }
    #expect((try? ScryptParameters.default.validate()) != nil)
    #expect(ScryptParameters.default.memoryBytes == 32 << 20)
}

// MARK: - The header record

@Test func recordHasTheDocumentedBinaryLayout() throws {
    let salt = (0..<16).map { UInt8($0 + 0xA0) }
    let record = KeyDerivation(parameters: .init(log2Cost: 15, blockSize: 8, parallelism: 3), salt: salt)
    let encoded = try record.encoded()
    #expect(encoded.count == KeyDerivation.encodedSize)
    #expect(encoded == [1, 15, 8, 0, 3, 0, 0, 0] + salt + [UInt8](repeating: 0, count: 8))
    #expect(try KeyDerivation(encoded: encoded) == record)
}

@Test func randomRecordsDeriveTheSameKeyAfterDecoding() throws {
    let record = KeyDerivation.random(parameters: fast)
    #expect(record.salt.count == 16)
    #expect(record.salt != KeyDerivation.random(parameters: fast).salt)
    let decoded = try KeyDerivation(encoded: record.encoded())
    #expect(raw(try decoded.deriveKey(passphrase: "correct horse")) == raw(try record.deriveKey(passphrase: "correct horse")))
    #expect(raw(try decoded.deriveKey(passphrase: "correct horse")) != raw(try record.deriveKey(passphrase: "battery staple")))
}

@Test func malformedRecordsAreRefused() throws {
    let good = try KeyDerivation(parameters: fast, salt: [UInt8](repeating: 1, count: 16)).encoded()
    func fault(_ bytes: [UInt8]) -> String? {
        do { _ = try KeyDerivation(encoded: bytes); return nil } catch { return "\(error)" }
    }
    #expect(fault(Array(good.dropLast())) == "key derivation: record is 31 bytes; 32 expected")
    var b = good; b[0] = 2
    #expect(fault(b) == "key derivation: unknown algorithm 2")
    b = good; b[7] = 1
    #expect(fault(b) == "key derivation: reserved bytes are not zero")
    b = good; b[31] = 1
    #expect(fault(b) == "key derivation: reserved bytes are not zero")
    b = good; b[1] = 40
    #expect(fault(b) == "key derivation: scrypt log2 N 40 is outside 1...30")
    b = good; b[4] = 0
    #expect(fault(b) == "key derivation: scrypt p 0 is outside 1...16")
    b = good; b[4] = 2; b[5] = 1  // little-endian
    #expect(fault(b) == "key derivation: scrypt p 258 is outside 1...16")
    #expect(throws: SecurityError.invalidKeyDerivation("salt is 4 bytes; 16 expected")) {
        try KeyDerivation(parameters: fast, salt: [1, 2, 3, 4]).encoded()
    }
}

@Test func recordIsCodableWithSnakeCaseKeys() throws {
    let record = KeyDerivation(parameters: .default, salt: [UInt8](repeating: 3, count: 16))
    let json = String(decoding: try JSONEncoder().encode(record.parameters), as: UTF8.self)
    #expect(json.contains("\"log2_cost\":15") && json.contains("\"block_size\":8"))
    #expect(try JSONDecoder().decode(KeyDerivation.self, from: JSONEncoder().encode(record)) == record)
    let shortSalt = KeyDerivation(parameters: .default, salt: [1, 2])
    #expect(throws: SecurityError.invalidKeyDerivation("salt is 2 bytes; 16 expected")) {
        try JSONDecoder().decode(KeyDerivation.self, from: JSONEncoder().encode(shortSalt))
    }
}
