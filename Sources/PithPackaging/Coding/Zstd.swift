import CZstd
import Foundation

/// Zstandard compression of package sections (Debian's libzstd), with decoding bounded by the caller's size.
///
/// A section's original size comes from the package's section table; `decompress` never produces or allocates
/// more than that, and rejects frames that declare, or turn out to hold, a different size.
public enum Zstd {
    /// The level `compress` uses unless told otherwise.
    ///
    /// Measured here (release, 2 shared cores). SmolLM2-135M's GGUF metadata (1.79 MB of vocabulary and merges):
    /// level 3 → 29.2 % at 270 MB/s, 9 → 27.1 % at 57 MB/s, 19 → 24.5 % at 3.6 MB/s. The whole 98 MB Q4_1 file
    /// (2 workers): level 3 → 94.3 % at 900 MB/s, 9 → 94.2 % at 220 MB/s, 19 → 91.4 % in 92 s (zstd CLI, 1 thread).
    /// Weights go through `TensorCoder`; what zstd gets is metadata, graphs and text, where 9 keeps most of
    /// 19's ratio without its cost on a large section. Decompression runs at 0.9–1.5 GB/s at every level.
    public static let defaultLevel = 9

    /// Inputs at least this large are compressed with libzstd's worker threads, when the library has them.
    public static let multithreadThreshold = 4 << 20

    /// libzstd's version, e.g. "1.5.4".
    public static var libraryVersion: String { String(cString: ZSTD_versionString()) }

    /// Whether this libzstd was built with worker threads (Debian's is): setting `ZSTD_c_nbWorkers` succeeds.
    public static let isMultithreaded: Bool = {
        guard let cctx = ZSTD_createCCtx() else { return false }
        defer { ZSTD_freeCCtx(cctx) }
        return ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 1)) == 0
    }()

    /// The levels libzstd accepts.
    public static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    // MARK: - Compress

    /// Compresses `bytes` into one Zstandard frame that records its content size.
    ///
    /// - Parameters:
    ///   - level: a libzstd level (`levels`); higher is smaller and slower.
    ///   - workers: threads for inputs of at least `multithreadThreshold` bytes; nil means one per core (at most 8).
    ///     Frames from any worker count ≥ 1 are identical, so packages stay reproducible across machines.
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int = defaultLevel, workers: Int? = nil) throws -> [UInt8] {
        guard levels.contains(level) else {
            throw CodingError(.invalidInput, "zstd: level \(level) is outside \(levels)")
        }
        guard let cctx = ZSTD_createCCtx() else { throw CodingError(.zstd, "zstd: cannot create a compression context") }
        defer { ZSTD_freeCCtx(cctx) }
        try check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, Int32(level)), "setting level \(level)")
        try check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1), "enabling the frame checksum")
        if bytes.count >= multithreadThreshold, isMultithreaded {
            let n = workers ?? min(8, ProcessInfo.processInfo.activeProcessorCount)
            if n >= 1 { try check(ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, Int32(clamping: n)), "setting \(n) workers") }
        }
        let bound = ZSTD_compressBound(bytes.count)
        guard ZSTD_isError(bound) == 0 else {
            throw CodingError(.invalidInput, "zstd: \(bytes.count) bytes are too many for one frame")
        }
        var dummy: UInt8 = 0
        return try withUnsafeMutablePointer(to: &dummy) { empty in
            try [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                let written = ZSTD_compress2(cctx, out.baseAddress ?? UnsafeMutablePointer(empty), out.count,
                                             bytes.baseAddress ?? UnsafeRawPointer(empty), bytes.count)
                try check(written, "compressing \(bytes.count) bytes")
                count = written
            }
        }
    }

    /// Compresses an array (see `compress(_:level:workers:)`).
    public static func compress(_ bytes: [UInt8], level: Int = defaultLevel, workers: Int? = nil) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compress($0, level: level, workers: workers) }
    }

    /// Compresses `Data` (see `compress(_:level:workers:)`).
    public static func compress(_ bytes: Data, level: Int = defaultLevel, workers: Int? = nil) throws -> [UInt8] {
        try bytes.withUnsafeBytes { try compress($0, level: level, workers: workers) }
    }

    // MARK: - Decompress

    // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR (zstd.h: 0ULL - 1 and 0ULL - 2).
    private static let contentSizeUnknown = UInt64.max
    private static let contentSizeError = UInt64.max - 1

    /// Decompresses one or more frames that must hold exactly `expectedSize` bytes in all.
    ///
    /// Allocates `expectedSize` bytes and no more; frames whose declared content size disagrees, truncated or
    /// corrupt frames (checksums are verified when present) and trailing bytes all throw.
    public static func decompress(_ compressed: UnsafeRawBufferPointer, expectedSize: Int) throws -> [UInt8] {
        guard expectedSize >= 0 else { throw CodingError(.invalidInput, "zstd: negative expected size \(expectedSize)") }
        // Frames that declare another size are refused before anything is allocated.
        try checkFrames(compressed, expectedSize: expectedSize, label: "section")
        return try [UInt8](unsafeUninitializedCapacity: expectedSize) { out, count in
            try decompress(compressed, into: UnsafeMutableRawBufferPointer(out), label: "section")
            count = expectedSize
        }
    }

    /// Decompresses frames that must fill `output` exactly (see `decompress(_:expectedSize:)`); `label` names the
    /// data in errors.
    static func decompress(_ compressed: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, label: String) throws {
        let expectedSize = output.count
        try checkFrames(compressed, expectedSize: expectedSize, label: label)
        guard let dctx = ZSTD_createDCtx() else { throw CodingError(.zstd, "zstd: cannot create a decompression context") }
        defer { ZSTD_freeDCtx(dctx) }
        var dummy: UInt8 = 0
        try withUnsafeMutablePointer(to: &dummy) { empty in
            let produced = ZSTD_decompressDCtx(dctx, output.baseAddress ?? UnsafeMutableRawPointer(empty), expectedSize,
                                               compressed.baseAddress ?? UnsafeRawPointer(empty), compressed.count)
            if ZSTD_isError(produced) != 0 {
                let name = String(cString: ZSTD_getErrorName(produced))
                let kind: CodingError.Kind = name.contains("too small") ? .mismatch : .corrupt
                throw CodingError(kind, "zstd: \(label): \(name) (\(compressed.count) compressed bytes, \(expectedSize) expected)")
            }
            guard produced == expectedSize else {
                throw CodingError(.mismatch, "zstd: \(label): frames hold \(produced) bytes; \(expectedSize) were declared")
            }
        }
    }

    /// Decompresses an array (see `decompress(_:expectedSize:)`).
    public static func decompress(_ compressed: [UInt8], expectedSize: Int) throws -> [UInt8] {
        try compressed.withUnsafeBytes { try decompress($0, expectedSize: expectedSize) }
    }

    /// Decompresses `Data` (see `decompress(_:expectedSize:)`).
    public static func decompress(_ compressed: Data, expectedSize: Int) throws -> [UInt8] {
        try compressed.withUnsafeBytes { try decompress($0, expectedSize: expectedSize) }
    }

    /// Walks the frames before decoding: each must be whole, and the sizes they declare must not exceed, nor
    /// (when all are declared) differ from, `expectedSize`.
    private static func checkFrames(_ compressed: UnsafeRawBufferPointer, expectedSize: Int, label: String) throws {
        guard let base = compressed.baseAddress, !compressed.isEmpty else {
            throw CodingError(.truncated, "zstd: \(label): no frame (0 bytes); \(expectedSize) bytes were expected")
        }
        var offset = 0, declared: UInt64 = 0, allDeclared = true
        while offset < compressed.count {
            let start = base + offset, left = compressed.count - offset
            let size = ZSTD_getFrameContentSize(start, left)
            if size == contentSizeError {
                throw CodingError(.corrupt, "zstd: \(label): bytes at offset \(offset) are not a zstd frame header (or it is cut short)")
            }
            let frameBytes = ZSTD_findFrameCompressedSize(start, left)
            if ZSTD_isError(frameBytes) != 0 {
                let name = String(cString: ZSTD_getErrorName(frameBytes))
                throw CodingError(.truncated, "zstd: \(label): frame at offset \(offset) is incomplete or corrupt: \(name)")
            }
            if size == contentSizeUnknown {
                allDeclared = false
            } else {
                let (sum, overflow) = declared.addingReportingOverflow(size)
                guard !overflow, sum <= UInt64(expectedSize) else {
                    throw CodingError(.mismatch, "zstd: \(label): frames declare more than the \(expectedSize) bytes declared")
                }
                declared = sum
            }
            offset += frameBytes
        }
        if allDeclared, declared != UInt64(expectedSize) {
            throw CodingError(.mismatch, "zstd: \(label): frames declare \(declared) bytes; \(expectedSize) were declared")
        }
    }

    private static func check(_ code: Int, _ what: String) throws {
        if ZSTD_isError(code) != 0 {
            throw CodingError(.zstd, "zstd: \(what): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}
