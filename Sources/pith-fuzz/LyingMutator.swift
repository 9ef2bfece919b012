/// libFuzzer's own mutations (bit flips, byte changes, splices, dictionary words), exported by its runtime.
///
/// Declared by symbol: the signature is C's `size_t LLVMFuzzerMutate(uint8_t *, size_t, size_t)`, whose integer and
/// pointer arguments the Swift calling convention passes in the same registers.
@_silgen_name("LLVMFuzzerMutate")
func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Mutations that make headers lie the way a hostile file does: a field of the package container set to a boundary
/// value or to another field's value (offsets past the end, overlapping sections, absurd counts and sizes, sections
/// that name each other), a number in JSON replaced by a boundary number, a boundary integer written into a binary
/// header. One input in three gets one of these, the rest libFuzzer's own mutations.
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzCustomMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    guard let data else { return 0 }
    var random = LyingMutator.Random(seed: seed)
    guard size > 1, random.next(3) == 0 else { return libFuzzerMutate(data, size, maxSize) }
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    LyingMutator.lie(in: &bytes, random: &random)
    let count = min(bytes.count, maxSize)
    for i in 0..<count { data[i] = bytes[i] }
    return count
}

enum LyingMutator {
    /// A small deterministic generator (splitmix64), so a mutation replays from libFuzzer's seed.
    struct Random {
        var state: UInt64
        init(seed: UInt32) { state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    /// Values at the edges of what the readers check: zero and one, the largest of each width, Int.max and
    /// Int.max rounded down to 8 and 64, powers of two around 2^31, 2^32 and 2^40.
    static let boundaries: [UInt64] = [0, 1, 2, 63, 64, 65, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF,
                                       1 << 32, 1 << 40, 1 << 48, 0x7FFF_FFFF_FFFF_FFC0, 0x7FFF_FFFF_FFFF_FFF8,
                                       0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max]
    static let jsonNumbers = ["0", "-1", "1", "2147483646", "2147483647", "4294967296", "16777217", "1099511627776",
                              "9223372036854775807", "-9223372036854775808", "1e400", "0.5", "65536", "100000000"]

    static func lie(in bytes: inout [UInt8], random: inout Random) {
        switch FuzzTarget.select(bytes[0]) {
        case .package, .repairedPackage:
            if !lieInPackageHeader(&bytes, random: &random) { writeBoundary(&bytes, random: &random) }
        case .gguf, .safetensors, .keyDerivation:
            if random.next(2) == 0 || !replaceJSONNumber(&bytes, random: &random) { writeBoundary(&bytes, random: &random) }
        case .graph, .tokenizer, .tensorIndex, .keyFile:
            if !replaceJSONNumber(&bytes, random: &random) { writeBoundary(&bytes, random: &random) }
        }
    }

    // MARK: - The package container (byte 0 is the target; the package starts at byte 1)

    /// Sets one field of the file header, a model header or a section entry to a boundary value, a nearby value or
    /// another field's value. False when the input is too short to have a header.
    static func lieInPackageHeader(_ bytes: inout [UInt8], random: inout Random) -> Bool {
        let base = 1
        guard bytes.count >= base + 128 else { return false }
        func read(_ at: Int, _ width: Int) -> UInt64? {
            guard at >= 0, at + width <= bytes.count else { return nil }
            return (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
        }
        // (offset, width) of every field the reader trusts: file header, then each model header and section entry.
        var fields: [(Int, Int)] = [(12, 4), (16, 8), (24, 4), (28, 4), (32, 8), (40, 8), (48, 8), (56, 8), (64, 8),
                                    (72, 8), (80, 8)].map { (base + $0.0, $0.1) }
        let models = Int(read(base + 24, 4) ?? 0), sections = Int(read(base + 28, 4) ?? 0)
        if let table = read(base + 32, 8).flatMap({ Int(exactly: $0) }), table < bytes.count {
            for m in 0..<min(models, 8) {
                let h = base + table + m * 128
                fields += [(h + 4, 4), (h + 8, 4), (h + 12, 4), (h + 16, 4), (h + 20, 4), (h + 24, 4), (h + 28, 4),
                           (h + 32, 8), (h + 40, 8), (h + 48, 8), (h + 56, 8), (h + 64, 1), (h + 65, 1)]
            }
        }
        if let table = read(base + 40, 8).flatMap({ Int(exactly: $0) }), table < bytes.count {
            for s in 0..<min(sections, 64) {
                let e = base + table + s * 96
                fields += [(e, 4), (e + 4, 4), (e + 8, 8), (e + 16, 8), (e + 24, 8), (e + 32, 1), (e + 33, 1), (e + 36, 4)]
            }
        }
        fields = fields.filter { $0.0 + $0.1 <= bytes.count }
        guard !fields.isEmpty else { return false }
        let (at, width) = fields[random.next(fields.count)]
        let value: UInt64
        switch random.next(4) {
        case 0: value = boundaries[random.next(boundaries.count)]
        case 1: value = (read(at, width) ?? 0) &+ UInt64(bitPattern: Int64(random.next(129) - 64))
        case 2: value = UInt64(bytes.count - base) &+ UInt64(bitPattern: Int64(random.next(257) - 128))
        default:
            let (other, otherWidth) = fields[random.next(fields.count)]
            value = read(other, otherWidth) ?? 0
        }
        for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        return true
    }

    // MARK: - Text and binary

    /// Replaces one number in JSON text by a boundary number. False when there is none.
    static func replaceJSONNumber(_ bytes: inout [UInt8], random: inout Random) -> Bool {
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        let start = 1 + random.next(bytes.count - 1)
        guard let first = (start..<bytes.count).first(where: { isDigit(bytes[$0]) })
                ?? (1..<start).first(where: { isDigit(bytes[$0]) }) else { return false }
        var lower = first, upper = first
        while lower > 1, isDigit(bytes[lower - 1]) || bytes[lower - 1] == 0x2D { lower -= 1 }
        while upper < bytes.count, isDigit(bytes[upper]) || bytes[upper] == 0x2E || bytes[upper] == 0x65 { upper += 1 }
        bytes.replaceSubrange(lower..<upper, with: Array(jsonNumbers[random.next(jsonNumbers.count)].utf8))
        return true
    }

    /// Writes a boundary integer (4 or 8 bytes, little-endian) at a random place.
    static func writeBoundary(_ bytes: inout [UInt8], random: inout Random) {
        let width = random.next(2) == 0 ? 4 : 8
        guard bytes.count > width + 1 else { return }
        let at = 1 + random.next(bytes.count - width)
        let value = boundaries[random.next(boundaries.count)]
        for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }
}
