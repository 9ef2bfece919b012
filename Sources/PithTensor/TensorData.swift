/// Bytes of one tensor: borrowed from a memory-mapped file, or owned.
///
/// The owner (a `MappedFile` or an owned buffer) is retained, so the bytes stay valid as long as this value lives.
public struct TensorData: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?

    /// Bytes borrowed from an object that keeps them alive (e.g. a `MappedFile`).
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
    }

    /// Copies `bytes` into storage this value owns (64-byte aligned).
    public init(copying bytes: UnsafeRawBufferPointer) {
        let box = OwnedBytes(count: bytes.count)
        if bytes.count > 0, let src = bytes.baseAddress { box.pointer.copyMemory(from: src, byteCount: bytes.count) }
        self.bytes = UnsafeRawBufferPointer(start: box.pointer, count: bytes.count)
        self.owner = box
    }

    /// Takes an array of floats.
    public init(floats: [Float]) {
        self = floats.withUnsafeBytes { TensorData(copying: $0) }
    }

    /// Fresh zeroed storage of `count` bytes, filled by `body`.
    public init(count: Int, fill body: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let box = OwnedBytes(count: count)
        try body(UnsafeMutableRawBufferPointer(start: box.pointer, count: count))
        self.bytes = UnsafeRawBufferPointer(start: box.pointer, count: count)
        self.owner = box
    }

    public var count: Int { bytes.count }

    /// The bytes viewed as f32 (caller guarantees the encoding).
    public var floats: UnsafeBufferPointer<Float> { bytes.bindMemory(to: Float.self) }
}

/// 64-byte-aligned heap bytes, zeroed.
final class OwnedBytes: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let count: Int
    init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }
    deinit { pointer.deallocate() }
}
