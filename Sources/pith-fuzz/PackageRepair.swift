import Crypto

/// Recomputes what a mutation of a package invalidates besides the bytes it changed: the file size in the header,
/// every section's SHA-256, every model's checksum, the header digest and the signature (with the seeds' key).
///
/// It reads the layout leniently (GB/T 42382.2 §8.2.2; Sources/PithPackaging/Container) and skips whatever lies
/// outside the input, so any bytes come out as bytes; the reader then judges them.
enum PackageRepair {
    static func repaired(_ input: [UInt8]) -> [UInt8] {
        var b = input
        guard b.count >= 128 else { return b }
        put(UInt64(b.count), at: 72, in: &b)
        let flags = u32(b, 12) ?? 0
        let headerSize = int(b, 16), modelCount = Int(u32(b, 24) ?? 0), sectionCount = Int(u32(b, 28) ?? 0)
        let modelTable = int(b, 32), sectionTable = int(b, 40), signatureOffset = int(b, 80)

        // Section digests (bytes 64..<96 of each 96-byte entry), over the stored bytes.
        var digests: [[UInt8]] = []
        for i in 0..<min(sectionCount, 4096) {
            guard let entry = sectionTable.flatMap({ within(b, $0, plus: i * 96, count: 96) }) else { break }
            var digest = Array(b[(entry + 64)..<(entry + 96)])
            if let offset = int(b, entry + 8), let size = int(b, entry + 16), let start = within(b, offset, plus: 0, count: size) {
                digest = Array(SHA256.hash(data: b[start..<(start + size)]))
                b.replaceSubrange((entry + 64)..<(entry + 96), with: digest)
            }
            digests.append(digest)
        }
        // Model checksums (bytes 96..<128 of each 128-byte header): SHA-256 over its six sections' digests.
        for m in 0..<min(modelCount, 256) {
            guard let header = modelTable.flatMap({ within(b, $0, plus: m * 128, count: 128) }) else { break }
            var hasher = SHA256()
            for k in 0..<6 {
                let s = Int(u32(b, header + 8 + 4 * k) ?? .max)
                hasher.update(data: s < digests.count ? digests[s] : [UInt8](repeating: 0, count: 32))
            }
            b.replaceSubrange((header + 96)..<(header + 128), with: Array(hasher.finalize()))
        }
        // The header digest: the last 32 bytes of the header region, over the rest of it.
        guard let size = headerSize, size >= 32, size <= b.count else { return b }
        let digest = Array(SHA256.hash(data: b[0..<(size - 32)]))
        b.replaceSubrange((size - 32)..<size, with: digest)
        // The signature trailer (104 bytes at the end): Ed25519 over the domain and the header digest.
        if flags & 2 != 0, let offset = signatureOffset, offset == b.count - 104, offset >= 0,
           let signature = try? PackageHarness.signingKey.signature(for: Array("pith-package-signature-v1\0".utf8) + digest) {
            var trailer = Array("PSIG".utf8) + [1, 0, 1, 0]
            trailer += Array(PackageHarness.signingKey.publicKey.rawRepresentation) + Array(signature)
            b.replaceSubrange(offset..<b.count, with: trailer)
        }
        return b
    }

    // MARK: - Little-endian fields, nil past the end

    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32? {
        guard at >= 0, at <= b.count - 4 else { return nil }
        return (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }

    private static func int(_ b: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, at <= b.count - 8 else { return nil }
        return Int(exactly: (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) })
    }

    private static func put(_ v: UInt64, at: Int, in b: inout [UInt8]) {
        for k in 0..<8 { b[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }

    /// `base + offset` when `count` bytes from there lie inside `b`.
    private static func within(_ b: [UInt8], _ base: Int, plus offset: Int, count: Int) -> Int? {
        let (start, o) = base.addingReportingOverflow(offset)
        guard !o, start >= 0, count >= 0, start <= b.count, count <= b.count - start else { return nil }
        return start
    }
}
