import Foundation
import PithTensor

/// Writes a GGUF v3 file in three stages that cannot be taken out of order (after gguf-py's `WriterState`):
/// describe (metadata and tensor shapes) → write each tensor's bytes in the declared order → finish.
///
/// The file is written under a temporary name and renamed into place by `finish()`; abandoning the writer
/// (or any failure) leaves no file behind.
public final class GGUFWriter {
    /// Where the writer is in its sequence.
    public enum State: Sendable, Equatable {
        /// Accepting metadata and tensor descriptions; nothing is written yet.
        case describing
        /// Header written; expecting the bytes of tensor number `next` (in declaration order).
        case writingData(next: Int)
        /// Renamed into place; the writer accepts nothing more.
        case finished
        /// A write failed; the temporary file is gone.
        case failed
    }

    public let url: URL
    public let alignment: Int
    public private(set) var state: State = .describing

    private var metadata: [(key: String, value: GGUFValue)] = []
    private var keys: Set<String> = []
    private var tensors: [(name: String, dimensions: [Int], type: GGMLType, relativeOffset: Int, byteCount: Int)] = []
    private var names: Set<String> = []
    private var dataSize = 0
    private var sink: AtomicFileWriter?

    /// ggml refuses tensor names of 64 bytes or more (GGML_MAX_NAME).
    static let maxNameBytes = 63

    /// Starts a file at `url`; `alignment` (a power of two) is recorded as `general.alignment` when it is not 32.
    public init(url: URL, alignment: Int = 32) throws {
        self.url = url
        self.alignment = alignment
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= 1 << 30 else {
            throw GGUFError(path: url.path, kind: .invalidUse, "alignment \(alignment) is not a power of two (up to 2^30)")
        }
        if alignment != GGUFFile.defaultAlignment {
            try setMetadata("general.alignment", .uint32(UInt32(alignment)))
        }
    }

    private func fail(_ fault: String) -> GGUFError {
        GGUFError(path: url.path, kind: .invalidUse, fault)
    }

    // MARK: - Stage 1: describe

    /// Adds a metadata entry; keys are unique and kept in the order given.
    public func setMetadata(_ key: String, _ value: GGUFValue) throws {
        guard state == .describing else { throw fail("metadata '\(key)' added after the header was written") }
        guard !key.isEmpty else { throw fail("empty metadata key") }
        // The data is laid out at `alignment`; another general.alignment would make readers look elsewhere.
        if key == "general.alignment", value.int != alignment {
            throw fail("general.alignment \(value) differs from the writer's alignment \(alignment) (give it to init)")
        }
        guard keys.insert(key).inserted else {
            if key == "general.alignment", value.int == alignment { return }
            throw fail("metadata key '\(key)' set twice")
        }
        if let fault = GGUFEncoder.fault(in: value, key: key) {
            keys.remove(key)
            throw fail(fault)
        }
        metadata.append((key, value))
    }

    /// Declares a tensor: its name, dimensions in ggml order (ne0 first) and type. Its bytes come later.
    public func addTensor(name: String, dimensions: [Int], type: GGMLType) throws {
        guard state == .describing else { throw fail("tensor '\(name)' declared after the header was written") }
        guard !name.isEmpty, name.utf8.count <= Self.maxNameBytes else {
            throw fail("tensor name '\(name)' must be 1 to \(Self.maxNameBytes) bytes")
        }
        guard dimensions.count <= GGUFFile.maxDimensions else {
            throw fail("tensor '\(name)' has \(dimensions.count) dimensions; at most \(GGUFFile.maxDimensions) are allowed")
        }
        let byteCount: Int
        switch GGUFTensorInfo.byteCount(type: type, dimensions: dimensions) {
        case .failure(let fault): throw fail("tensor '\(name)' (\(type.name), dims \(dimensions)) \(fault)")
        case .success(let n): byteCount = n
        }
        guard names.insert(name).inserted else { throw fail("tensor '\(name)' declared twice") }
        let padded = (byteCount + alignment - 1) / alignment * alignment
        tensors.append((name, dimensions, type, dataSize, byteCount))
        dataSize += padded
    }

    // MARK: - Stage 2: data

    /// Writes header, metadata and tensor descriptions; called by the first `writeTensorData` if not called before.
    public func writeHeader() throws {
        guard state == .describing else { throw fail("header written twice") }
        var e = GGUFEncoder()
        e.bytes.append(contentsOf: GGUFFile.magic)
        e.u32(3)
        e.u64(UInt64(tensors.count))
        e.u64(UInt64(metadata.count))
        for (key, value) in metadata {
            e.string(key)
            e.u32(value.typeID)
            e.value(value)
        }
        for t in tensors {
            e.string(t.name)
            e.u32(UInt32(t.dimensions.count))
            for d in t.dimensions { e.u64(UInt64(d)) }
            e.u32(t.type.rawValue)
            e.u64(UInt64(t.relativeOffset))
        }
        try io {
            let sink = try AtomicFileWriter(destination: url)
            self.sink = sink
            try sink.write(e.bytes)
            try sink.pad(to: alignment)
        }
        state = .writingData(next: 0)
    }

    /// Writes the bytes of the next declared tensor, which must be `name` and exactly its byte count.
    public func writeTensorData(_ bytes: UnsafeRawBufferPointer, for name: String) throws {
        if state == .describing { try writeHeader() }
        guard case .writingData(let next) = state else { throw fail("tensor '\(name)' written after the file was finished") }
        guard next < tensors.count else { throw fail("tensor '\(name)' was never declared (all \(tensors.count) are written)") }
        let t = tensors[next]
        guard t.name == name else { throw fail("tensor '\(name)' written out of order; '\(t.name)' comes next") }
        guard bytes.count == t.byteCount else {
            throw fail("tensor '\(name)' has \(bytes.count) bytes; its type and dimensions need \(t.byteCount)")
        }
        try io {
            try sink?.write(bytes)
            try sink?.pad(to: alignment)
        }
        state = .writingData(next: next + 1)
    }

    // MARK: - Stage 3: finish

    /// Checks every declared tensor was written, then moves the file into place.
    public func finish() throws {
        if state == .describing { try writeHeader() }
        guard case .writingData(let next) = state else { throw fail("finish called twice or after a failure") }
        guard next == tensors.count else {
            throw fail("finished with \(tensors.count - next) tensors unwritten, starting with '\(tensors[next].name)'")
        }
        try io { try sink?.commit() }
        sink = nil
        state = .finished
    }

    private func io(_ body: () throws -> Void) throws {
        do { try body() } catch {
            sink?.abort()
            sink = nil
            state = .failed
            throw GGUFError(path: url.path, kind: .io, "\(error)")
        }
    }
}
