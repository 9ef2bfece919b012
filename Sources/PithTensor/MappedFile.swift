import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file: headers are parsed eagerly, tensor bytes are touched lazily.
///
/// The mapping lives as long as this object; every buffer handed out borrows from it.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    public enum Failure: Error, CustomStringConvertible {
        case cannotOpen(String, String)
        case cannotMap(String, String)
        public var description: String {
            switch self {
            case .cannotOpen(let path, let why): "\(path): cannot open: \(why)"
            case .cannotMap(let path, let why): "\(path): cannot map: \(why)"
            }
        }
    }

    public init(url: URL) throws {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw Failure.cannotOpen(url.path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure.cannotOpen(url.path, String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure.cannotOpen(url.path, "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw Failure.cannotMap(url.path, String(cString: strerror(errno)))
        }
        base = mapped
        bytes = UnsafeRawBufferPointer(start: mapped, count: size)
    }

    /// The bytes `[offset, offset+count)`, or nil when that range is not inside the file.
    public func slice(offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else { return nil }
        guard let start = bytes.baseAddress else { return count == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : nil }
        return UnsafeRawBufferPointer(start: start + offset, count: count)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}
