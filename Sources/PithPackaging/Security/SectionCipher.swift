import Crypto
import Dispatch
import Foundation

/// Encrypts and decrypts one package section with AES-256-GCM in fixed-size chunks (GB/T 42382.2 §8.2.5).
///
/// Every chunk has its own random 96-bit nonce and 16-byte tag, and its associated data binds the caller's
/// bytes (the container passes a hash of the file header and the section's table entry), the section index,
/// the chunk index and a final-chunk flag. So a chunk cannot be altered, reordered, moved to another section
/// or file, or dropped from the end without the chunk's tag failing; the layout is in `SectionCipher+Layout`.
/// Chunks are independent, so one can be read alone (`decryptChunk`) and many are processed in parallel.
public struct SectionCipher: Sendable {
    /// How many threads work on one section's chunks at once; 1 runs on the calling thread alone.
    public var concurrency: Int

    /// A cipher using up to `concurrency` threads per section (default: one per active core).
    public init(concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.concurrency = max(1, concurrency)
    }

    // MARK: - Whole sections

    /// Encrypts `plaintext` as section `sectionIndex` in chunks of `chunkSize` bytes.
    ///
    /// The result is exactly `ciphertextSize(plaintextSize: plaintext.count, chunkSize:)` bytes.
    public func encrypt(_ plaintext: UnsafeRawBufferPointer, key: SymmetricKey, associatedData: [UInt8],
                        sectionIndex: UInt32, chunkSize: Int) throws -> [UInt8] {
        try Self.checkKey(key)
        guard (1...Self.maximumChunkSize).contains(chunkSize) else { throw SecurityError.invalidChunkSize(chunkSize) }
        guard let size = Self.ciphertextSize(plaintextSize: plaintext.count, chunkSize: chunkSize),
              let count = Self.chunkCount(plaintextSize: plaintext.count, chunkSize: chunkSize)
        else { throw SecurityError.invalidPlaintextSize(plaintext.count) }

        return try [UInt8](unsafeUninitializedCapacity: size) { output, initialized in
            let out = UnsafeMutableRawBufferPointer(output)
            try forEachChunk(count) { index in
                let layout = Self.chunkLayout(index: index, plaintextSize: plaintext.count, chunkSize: chunkSize)!
                try Self.sealChunk(UnsafeRawBufferPointer(rebasing: plaintext[layout.plaintext]),
                                   into: UnsafeMutableRawBufferPointer(rebasing: out[layout.ciphertext]),
                                   key: key, associatedData: Self.chunkAssociatedData(
                                       associatedData, section: sectionIndex, chunk: index, isFinal: layout.isFinal))
            }
            initialized = size
        }
    }

    /// Decrypts a whole section of `plaintextSize` bytes that `encrypt` wrote with the same key, associated data,
    /// section index and chunk size.
    ///
    /// The ciphertext's length is checked against `plaintextSize` and `chunkSize` before anything is allocated.
    public func decrypt(_ ciphertext: UnsafeRawBufferPointer, key: SymmetricKey, associatedData: [UInt8],
                        sectionIndex: UInt32, chunkSize: Int, plaintextSize: Int) throws -> [UInt8] {
        let count = try Self.checkSizes(ciphertext.count, key: key, sectionIndex: sectionIndex,
                                        chunkSize: chunkSize, plaintextSize: plaintextSize)
        return try [UInt8](unsafeUninitializedCapacity: plaintextSize) { output, initialized in
            let out = UnsafeMutableRawBufferPointer(output)
            try forEachChunk(count) { index in
                let layout = Self.chunkLayout(index: index, plaintextSize: plaintextSize, chunkSize: chunkSize)!
                try Self.openChunk(UnsafeRawBufferPointer(rebasing: ciphertext[layout.ciphertext]),
                                   into: UnsafeMutableRawBufferPointer(rebasing: out[layout.plaintext]),
                                   key: key, associatedData: associatedData, section: sectionIndex,
                                   layout: layout, chunkCount: count)
            }
            initialized = plaintextSize
        }
    }

    // MARK: - One chunk

    /// Decrypts chunk `chunkIndex` alone; `chunk` is that chunk's bytes only
    /// (`chunkLayout(index:plaintextSize:chunkSize:).ciphertext` of the encrypted section).
    public func decryptChunk(_ chunk: UnsafeRawBufferPointer, chunkIndex: Int, key: SymmetricKey,
                             associatedData: [UInt8], sectionIndex: UInt32, chunkSize: Int,
                             plaintextSize: Int) throws -> [UInt8] {
        try Self.checkKey(key)
        guard (1...Self.maximumChunkSize).contains(chunkSize) else { throw SecurityError.invalidChunkSize(chunkSize) }
        guard let count = Self.chunkCount(plaintextSize: plaintextSize, chunkSize: chunkSize),
              Self.ciphertextSize(plaintextSize: plaintextSize, chunkSize: chunkSize) != nil
        else { throw SecurityError.invalidPlaintextSize(plaintextSize) }
        guard let layout = Self.chunkLayout(index: chunkIndex, plaintextSize: plaintextSize, chunkSize: chunkSize) else {
            throw SecurityError.invalidChunk(section: sectionIndex, chunk: chunkIndex,
                                             reason: "no such chunk; the section has \(count)")
        }
        guard chunk.count == layout.ciphertext.count else {
            throw SecurityError.invalidChunk(section: sectionIndex, chunk: chunkIndex,
                                             reason: "is \(chunk.count) bytes; \(layout.ciphertext.count) expected")
        }
        return try [UInt8](unsafeUninitializedCapacity: layout.plaintext.count) { output, initialized in
            try Self.openChunk(chunk, into: UnsafeMutableRawBufferPointer(output), key: key,
                               associatedData: associatedData, section: sectionIndex, layout: layout, chunkCount: count)
            initialized = layout.plaintext.count
        }
    }

    // MARK: - Internals

    static func checkKey(_ key: SymmetricKey) throws {
        guard key.bitCount == 256 else { throw SecurityError.invalidKeyLength(bits: key.bitCount) }
    }

    /// Validates the key and every size; returns the chunk count.
    static func checkSizes(_ ciphertextCount: Int, key: SymmetricKey, sectionIndex: UInt32,
                           chunkSize: Int, plaintextSize: Int) throws -> Int {
        try checkKey(key)
        guard (1...maximumChunkSize).contains(chunkSize) else { throw SecurityError.invalidChunkSize(chunkSize) }
        guard let expected = ciphertextSize(plaintextSize: plaintextSize, chunkSize: chunkSize),
              let count = chunkCount(plaintextSize: plaintextSize, chunkSize: chunkSize)
        else { throw SecurityError.invalidPlaintextSize(plaintextSize) }
        guard ciphertextCount == expected else {
            throw SecurityError.ciphertextSizeMismatch(section: sectionIndex, actual: ciphertextCount, expected: expected)
        }
        return count
    }

    /// Writes nonce ‖ ciphertext ‖ tag of one chunk into `output` (exactly plaintext + 28 bytes).
    static func sealChunk(_ plaintext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                          key: SymmetricKey, associatedData: [UInt8]) throws {
        let nonce = AES.GCM.Nonce()
        // An empty buffer may have no base address; hand the library an empty array instead.
        let box = plaintext.isEmpty
            ? try AES.GCM.seal([UInt8](), using: key, nonce: nonce, authenticating: associatedData)
            : try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: associatedData)
        // With a 12-byte nonce the box's combined form is nonce ‖ ciphertext ‖ tag: the chunk's layout.
        guard let combined = box.combined, combined.count == output.count else {
            preconditionFailure("chunk layout and sealed box disagree")
        }
        combined.withUnsafeBytes { output.copyMemory(from: $0) }
    }

    /// Authenticates and decrypts one chunk (nonce ‖ ciphertext ‖ tag) into `output`.
    static func openChunk(_ chunk: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                          key: SymmetricKey, associatedData: [UInt8], section: UInt32,
                          layout: ChunkLayout, chunkCount: Int) throws {
        let aad = chunkAssociatedData(associatedData, section: section, chunk: layout.index, isFinal: layout.isFinal)
        let plaintext: Data
        do {
            // The chunk is nonce ‖ ciphertext ‖ tag, which is the box's combined form (one copy).
            plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: chunk), using: key, authenticating: aad)
        } catch {
            throw SecurityError.authenticationFailed(section: section, chunk: layout.index, chunkCount: chunkCount)
        }
        guard plaintext.count == output.count else {
            throw SecurityError.authenticationFailed(section: section, chunk: layout.index, chunkCount: chunkCount)
        }
        plaintext.withUnsafeBytes { output.copyMemory(from: $0) }
    }

    /// Runs `body` for every chunk index, on up to `concurrency` threads; rethrows the lowest failing chunk's error.
    func forEachChunk(_ count: Int, _ body: (Int) throws -> Void) throws {
        let workers = min(concurrency, count)
        if workers <= 1 {
            for index in 0..<count { try body(index) }
            return
        }
        // One slot per worker, each written by its worker only; worker w takes chunks w, w + workers, ….
        let failures = UnsafeMutableBufferPointer<(chunk: Int, error: Error)?>.allocate(capacity: workers)
        failures.initialize(repeating: nil)
        defer { failures.deinitialize().deallocate() }
        withoutActuallyEscaping(body) { body in
            // Dispatch wants a @Sendable closure; `body` writes disjoint chunks and `failures` disjoint slots.
            let shared = UncheckedSendable((body, failures))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let (body, failures) = shared.value
                for index in stride(from: worker, to: count, by: workers) {
                    do { try body(index) } catch {
                        failures[worker] = (index, error)
                        return
                    }
                }
            }
        }
        if let first = failures.compactMap({ $0 }).min(by: { $0.chunk < $1.chunk }) { throw first.error }
    }
}
