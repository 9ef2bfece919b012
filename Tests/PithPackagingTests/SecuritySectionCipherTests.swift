import Crypto
import Testing
@testable import PithPackaging

// MARK: - Helpers

/// A fixed key (`SymmetricKey` is not `Sendable`, so no global instance).
private var key: SymmetricKey { SymmetricKey(data: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }) }
private let header: [UInt8] = Array("header+table-entry hash".utf8)

/// Deterministic bytes, so a failing case can be rerun.
private func bytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) }
}

private func encrypt(_ plaintext: [UInt8], section: UInt32 = 3, chunkSize: Int,
                     cipher: SectionCipher = SectionCipher(), key: SymmetricKey = key,
                     associatedData: [UInt8] = header) throws -> [UInt8] {
    try plaintext.withUnsafeBytes {
        try cipher.encrypt($0, key: key, associatedData: associatedData, sectionIndex: section, chunkSize: chunkSize)
    }
}

private func decrypt(_ ciphertext: [UInt8], section: UInt32 = 3, chunkSize: Int, plaintextSize: Int,
                     cipher: SectionCipher = SectionCipher(), key: SymmetricKey = key,
                     associatedData: [UInt8] = header) throws -> [UInt8] {
    try ciphertext.withUnsafeBytes {
        try cipher.decrypt($0, key: key, associatedData: associatedData, sectionIndex: section,
                           chunkSize: chunkSize, plaintextSize: plaintextSize)
    }
}

/// The error a decryption throws, or nil when it succeeds.
private func failure(_ body: () throws -> [UInt8]) -> SecurityError? {
    do { _ = try body(); return nil } catch { return error as? SecurityError }
}

private func chunkRange(_ index: Int, plaintextSize: Int, chunkSize: Int) -> Range<Int> {
    SectionCipher.chunkLayout(index: index, plaintextSize: plaintextSize, chunkSize: chunkSize)!.ciphertext
}

// MARK: - Round trips

@Test(arguments: [0, 1, 1 << 20 - 1, 1 << 20, 1 << 20 + 1, 3 << 20 + 12345])
func roundTripAtDefaultChunkSize(size: Int) throws {
    let chunk = SectionCipher.defaultChunkSize
    let plaintext = bytes(size)
    let sealed = try encrypt(plaintext, chunkSize: chunk)
    #expect(sealed.count == SectionCipher.ciphertextSize(plaintextSize: size, chunkSize: chunk))
    #expect(try decrypt(sealed, chunkSize: chunk, plaintextSize: size) == plaintext)
}

@Test(arguments: [0, 1, 15, 16, 17, 48, 100])
func roundTripSerialAndParallelAtSmallChunks(size: Int) throws {
    let plaintext = bytes(size, seed: 9)
    for threads in [1, 2, 5] {
        let cipher = SectionCipher(concurrency: threads)
        let sealed = try encrypt(plaintext, chunkSize: 16, cipher: cipher)
        #expect(try decrypt(sealed, chunkSize: 16, plaintextSize: size, cipher: SectionCipher(concurrency: 1)) == plaintext)
        #expect(try decrypt(sealed, chunkSize: 16, plaintextSize: size, cipher: cipher) == plaintext)
    }
}

@Test func layoutIsNonceCiphertextTagPerChunk() throws {
    // 40 bytes in chunks of 16: chunks of 16, 16 and 8 bytes, each 28 bytes longer.
    #expect(SectionCipher.chunkCount(plaintextSize: 40, chunkSize: 16) == 3)
    #expect(SectionCipher.ciphertextSize(plaintextSize: 40, chunkSize: 16) == 40 + 3 * 28)
    #expect(SectionCipher.ciphertextSize(plaintextSize: 0, chunkSize: 16) == 28)
    let last = SectionCipher.chunkLayout(index: 2, plaintextSize: 40, chunkSize: 16)
    #expect(last == SectionCipher.ChunkLayout(index: 2, plaintext: 32..<40, ciphertext: 88..<124, isFinal: true))
    #expect(SectionCipher.chunkLayout(index: 1, plaintextSize: 40, chunkSize: 16)?.isFinal == false)
    #expect(SectionCipher.chunkLayout(index: 3, plaintextSize: 40, chunkSize: 16) == nil)

    // A chunk opens with AES-GCM alone given the documented nonce, ciphertext, tag and associated data.
    let plaintext = bytes(40)
    let sealed = try encrypt(plaintext, section: 7, chunkSize: 16)
    let chunk = Array(sealed[88..<124])
    let aad = header + [7, 0, 0, 0] + [2, 0, 0, 0, 0, 0, 0, 0] + [1]
    let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: chunk[0..<12]),
                                    ciphertext: chunk[12..<20], tag: chunk[20..<36])
    #expect(Array(try AES.GCM.open(box, using: key, authenticating: aad)) == Array(plaintext[32..<40]))
}

@Test func freshNoncesMakeEveryEncryptionDifferent() throws {
    let plaintext = bytes(64)
    let a = try encrypt(plaintext, chunkSize: 16), b = try encrypt(plaintext, chunkSize: 16)
    #expect(a != b)
    let nonces = (0..<4).map { Array(a[chunkRange($0, plaintextSize: 64, chunkSize: 16).prefix(12)]) }
    #expect(Set(nonces).count == 4)
}

@Test func chunksDecryptAlone() throws {
    let plaintext = bytes(100)
    let sealed = try encrypt(plaintext, chunkSize: 16)
    let cipher = SectionCipher()
    for index in 0..<7 {
        let layout = SectionCipher.chunkLayout(index: index, plaintextSize: 100, chunkSize: 16)!
        let opened = try Array(sealed[layout.ciphertext]).withUnsafeBytes {
            try cipher.decryptChunk($0, chunkIndex: index, key: key, associatedData: header, sectionIndex: 3,
                                    chunkSize: 16, plaintextSize: 100)
        }
        #expect(opened == Array(plaintext[layout.plaintext]))
    }
    // Chunk 1's bytes presented as chunk 2, a chunk past the end, and a short buffer.
    let one = Array(sealed[chunkRange(1, plaintextSize: 100, chunkSize: 16)])
    func open(_ chunk: [UInt8], _ index: Int) -> SecurityError? {
        failure {
            try chunk.withUnsafeBytes {
                try cipher.decryptChunk($0, chunkIndex: index, key: key, associatedData: header, sectionIndex: 3,
                                        chunkSize: 16, plaintextSize: 100)
            }
        }
    }
    #expect(open(one, 2) == .authenticationFailed(section: 3, chunk: 2, chunkCount: 7))
    #expect(open(one, 7) == .invalidChunk(section: 3, chunk: 7, reason: "no such chunk; the section has 7"))
    #expect(open(Array(one.dropLast()), 1) == .invalidChunk(section: 3, chunk: 1, reason: "is 43 bytes; 44 expected"))
}

// MARK: - Sizes

@Test func sizesAreCheckedWithoutOverflowBeforeAllocating() throws {
    #expect(SectionCipher.ciphertextSize(plaintextSize: Int.max, chunkSize: 1 << 20) == nil)
    #expect(SectionCipher.ciphertextSize(plaintextSize: Int.max / 2, chunkSize: 1) == nil)
    #expect(SectionCipher.ciphertextSize(plaintextSize: -1, chunkSize: 16) == nil)
    #expect(SectionCipher.ciphertextSize(plaintextSize: 10, chunkSize: 0) == nil)
    #expect(SectionCipher.ciphertextSize(plaintextSize: 10, chunkSize: SectionCipher.maximumChunkSize + 1) == nil)
    #expect(SectionCipher.chunkLayout(index: 0, plaintextSize: Int.max, chunkSize: 1 << 20) == nil)

    let sealed = try encrypt(bytes(40), chunkSize: 16)
    // A header claiming an enormous plaintext must fail on sizes, not try to allocate it.
    #expect(failure { try decrypt(sealed, chunkSize: 16, plaintextSize: Int.max) } == .invalidPlaintextSize(Int.max))
    #expect(failure { try decrypt(sealed, chunkSize: 16, plaintextSize: 1 << 50) }
        == .ciphertextSizeMismatch(section: 3, actual: 124, expected: (1 << 50) + (1 << 46) * 28))
    #expect(failure { try decrypt(sealed, chunkSize: 16, plaintextSize: -5) } == .invalidPlaintextSize(-5))
    #expect(failure { try decrypt(sealed, chunkSize: 0, plaintextSize: 40) } == .invalidChunkSize(0))
    #expect(failure { try decrypt(sealed, chunkSize: 20, plaintextSize: 40) }
        == .ciphertextSizeMismatch(section: 3, actual: 124, expected: 124 - 28))
    // A chunk size that happens to give the same total still cannot open the chunks.
    #expect(failure { try decrypt(sealed, chunkSize: 17, plaintextSize: 40) }
        == .authenticationFailed(section: 3, chunk: 0, chunkCount: 3))
    #expect(failure { try encrypt(bytes(4), chunkSize: -1) } == .invalidChunkSize(-1))
}

@Test func keysMustBe256Bits() {
    let short = SymmetricKey(size: .bits128)
    #expect(failure { try encrypt(bytes(4), chunkSize: 16, key: short) } == .invalidKeyLength(bits: 128))
    #expect(failure { try decrypt(bytes(32), chunkSize: 16, plaintextSize: 4, key: short) } == .invalidKeyLength(bits: 128))
}

// MARK: - Tampering

@Test func wrongKeyFailsOnTheFirstChunkAndTheKeyCheckSaysSo() throws {
    let sealed = try encrypt(bytes(40), chunkSize: 16)
    let other = SymmetricKey(size: .bits256)
    let error = failure { try decrypt(sealed, chunkSize: 16, plaintextSize: 40, cipher: SectionCipher(concurrency: 1), key: other) }
    #expect(error == .authenticationFailed(section: 3, chunk: 0, chunkCount: 3))
    #expect(error?.description == "section 3, chunk 0 of 3: authentication failed "
        + "(wrong key, or the data was altered, moved, reordered or truncated)")

    let check = KeyCheck.value(for: key)
    #expect(check.count == 8)
    try KeyCheck.verify(key, against: check)
    #expect(throws: SecurityError.wrongKey) { try KeyCheck.verify(other, against: check) }
    #expect(throws: SecurityError.wrongKey) { try KeyCheck.verify(key, against: Array(check.dropLast())) }
}

@Test func everyFlippedBitIsCaughtInItsOwnChunk() throws {
    // Three chunks: 16, 16 and 8 plaintext bytes; every bit of every nonce, ciphertext and tag.
    let sealed = try encrypt(bytes(40), chunkSize: 16)
    for threads in [1, 3] {
        let cipher = SectionCipher(concurrency: threads)
        for chunk in 0..<3 {
            for byte in chunkRange(chunk, plaintextSize: 40, chunkSize: 16) {
                for bit in 0..<8 {
                    var damaged = sealed
                    damaged[byte] ^= 1 << bit
                    let error = failure { try decrypt(damaged, chunkSize: 16, plaintextSize: 40, cipher: cipher) }
                    #expect(error == .authenticationFailed(section: 3, chunk: chunk, chunkCount: 3),
                            "byte \(byte) bit \(bit)")
                }
            }
        }
    }
}

@Test func swappedChunksFail() throws {
    let sealed = try encrypt(bytes(48), chunkSize: 16)
    let r0 = chunkRange(0, plaintextSize: 48, chunkSize: 16), r1 = chunkRange(1, plaintextSize: 48, chunkSize: 16)
    var swapped = sealed
    swapped.replaceSubrange(r0, with: sealed[r1])
    swapped.replaceSubrange(r1, with: sealed[r0])
    #expect(failure { try decrypt(swapped, chunkSize: 16, plaintextSize: 48) }
        == .authenticationFailed(section: 3, chunk: 0, chunkCount: 3))
}

@Test func aChunkFromAnotherSectionOrFileFails() throws {
    let plaintext = bytes(48)
    let mine = try encrypt(plaintext, section: 3, chunkSize: 16)
    let r1 = chunkRange(1, plaintextSize: 48, chunkSize: 16)

    var moved = mine
    moved.replaceSubrange(r1, with: try encrypt(plaintext, section: 4, chunkSize: 16)[r1])
    #expect(failure { try decrypt(moved, chunkSize: 16, plaintextSize: 48) }
        == .authenticationFailed(section: 3, chunk: 1, chunkCount: 3))

    // Another file: same key and section, different header hash.
    var foreign = mine
    foreign.replaceSubrange(r1, with: try encrypt(plaintext, chunkSize: 16, associatedData: Array("other".utf8))[r1])
    #expect(failure { try decrypt(foreign, chunkSize: 16, plaintextSize: 48) }
        == .authenticationFailed(section: 3, chunk: 1, chunkCount: 3))

    // The whole section read as another index.
    #expect(failure { try decrypt(mine, section: 4, chunkSize: 16, plaintextSize: 48) }
        == .authenticationFailed(section: 4, chunk: 0, chunkCount: 3))
}

@Test func associatedDataMismatchFails() throws {
    let sealed = try encrypt(bytes(40), chunkSize: 16)
    #expect(failure { try decrypt(sealed, chunkSize: 16, plaintextSize: 40, associatedData: header + [0]) }
        == .authenticationFailed(section: 3, chunk: 0, chunkCount: 3))
    #expect(failure { try decrypt(sealed, chunkSize: 16, plaintextSize: 40, associatedData: []) }
        == .authenticationFailed(section: 3, chunk: 0, chunkCount: 3))
}

@Test func truncatedOrDroppedLastChunkFails() throws {
    let sealed = try encrypt(bytes(40), chunkSize: 16)
    // The recorded size no longer matches.
    #expect(failure { try decrypt(Array(sealed.dropLast()), chunkSize: 16, plaintextSize: 40) }
        == .ciphertextSizeMismatch(section: 3, actual: 123, expected: 124))
    let twoChunks = Array(sealed[..<chunkRange(2, plaintextSize: 40, chunkSize: 16).lowerBound])
    #expect(failure { try decrypt(twoChunks, chunkSize: 16, plaintextSize: 40) }
        == .ciphertextSizeMismatch(section: 3, actual: 88, expected: 124))

    // The recorded size rewritten to match the cut: the final-chunk flag still catches it.
    #expect(failure { try decrypt(twoChunks, chunkSize: 16, plaintextSize: 32) }
        == .authenticationFailed(section: 3, chunk: 1, chunkCount: 2))
    var cut = Array(sealed.dropLast(4 + 16))        // last chunk loses 4 bytes of ciphertext, then its tag
    cut += sealed.suffix(16)
    #expect(failure { try decrypt(cut, chunkSize: 16, plaintextSize: 36) }
        == .authenticationFailed(section: 3, chunk: 2, chunkCount: 3))
}

@Test func appendedChunkFails() throws {
    // An older, longer version of the same section under the same key supplies a genuine chunk 2.
    let short = try encrypt(bytes(32), chunkSize: 16)
    let long = try encrypt(bytes(48), chunkSize: 16)
    let extended = short + long[chunkRange(2, plaintextSize: 48, chunkSize: 16)]
    #expect(failure { try decrypt(extended, chunkSize: 16, plaintextSize: 32) }
        == .ciphertextSizeMismatch(section: 3, actual: 132, expected: 88))
    // With the size rewritten, chunk 1 was sealed as final and is now read as not final.
    #expect(failure { try decrypt(extended, chunkSize: 16, plaintextSize: 48, cipher: SectionCipher(concurrency: 1)) }
        == .authenticationFailed(section: 3, chunk: 1, chunkCount: 3))
}
