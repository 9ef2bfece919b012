import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Writes a file next to its destination under a temporary name and renames it into place on `commit()`,
/// so readers never see half a file and a failed write leaves the old file intact.
public final class AtomicFileWriter {
    /// Why a write failed, without the path (the format's error adds it).
    public struct Fault: Error, CustomStringConvertible {
        public let description: String
    }

    public let destination: URL
    let temporary: URL
    private var fd: Int32
    /// Bytes appended so far (the next `write` lands at this offset).
    public private(set) var bytesWritten = 0
    private var done = false

    /// Creates the temporary file with `permissions` (less the umask) from the start, so a secret never
    /// sits in a file more readable than its destination will be.
    public init(destination: URL, permissions: mode_t = 0o644) throws {
        self.destination = destination
        let name = ".\(destination.lastPathComponent)\(Self.marker)\(getpid())-\(UUID().uuidString.prefix(8))"
        let folder = destination.deletingLastPathComponent()
        Self.removeStale(in: folder)
        temporary = folder.appendingPathComponent(name)
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, permissions)
        guard fd >= 0 else { throw Fault(description: "cannot create \(temporary.path): \(Self.lastError)") }
    }

    private static var lastError: String { String(cString: strerror(errno)) }

    /// What every temporary name carries: `.<destination>.tmp-<pid>-<8 characters>`.
    static let marker = ".tmp-"

    /// Removes the temporary files in `folder` left by writers that died (SIGKILL, power loss): names that follow the
    /// pattern above, of a process that no longer exists. A live process's file is never touched.
    static func removeStale(in folder: URL) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(".") {
            guard let range = name.range(of: marker, options: .backwards) else { continue }
            let tail = name[range.upperBound...].split(separator: "-")
            guard tail.count == 2, tail[1].count == 8, let pid = Int32(tail[0]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { unlink(folder.appendingPathComponent(name).path) }
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw Fault(description: "write after the file was closed") }
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw Fault(description: "cannot write: \(Self.lastError)")
            }
            p += n
            left -= n
            bytesWritten += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Overwrites already written bytes at `offset` (e.g. a header whose hashes are known only at the end).
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws {
        guard !done else { throw Fault(description: "write after the file was closed") }
        guard offset >= 0, offset + bytes.count <= bytesWritten else { throw Fault(description: "overwrite outside the written bytes") }
        try bytes.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return }
            var left = raw.count, at = off_t(offset)
            while left > 0 {
                let n = pwrite(fd, p, left, at)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Fault(description: "cannot write: \(Self.lastError)")
                }
                p += n
                left -= n
                at += off_t(n)
            }
        }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    public func pad(to alignment: Int) throws {
        let n = (alignment - bytesWritten % alignment) % alignment
        if n > 0 { try write([UInt8](repeating: 0, count: n)) }
    }

    /// Flushes, closes and renames the temporary file onto the destination.
    ///
    /// With `replacingExisting` false an existing destination is left alone and the commit fails; the
    /// check and the move are one step (a hard link, then the temporary name is removed), so no race
    /// between them can lose a file.
    public func commit(replacingExisting: Bool = true) throws {
        guard !done else { throw Fault(description: "file already closed") }
        done = true
        defer { fd = -1 }
        guard fsync(fd) == 0 else {
            let why = Self.lastError
            close(fd)
            unlink(temporary.path)
            throw Fault(description: "cannot flush: \(why)")
        }
        close(fd)
        if !replacingExisting {
            guard link(temporary.path, destination.path) == 0 else {
                let why = errno == EEXIST ? "file exists" : Self.lastError
                unlink(temporary.path)
                throw Fault(description: "cannot move into place: \(why)")
            }
            unlink(temporary.path)
            return
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let why = Self.lastError
            unlink(temporary.path)
            throw Fault(description: "cannot rename into place: \(why)")
        }
    }

    /// Closes and removes the temporary file.
    public func abort() {
        guard !done else { return }
        done = true
        close(fd)
        unlink(temporary.path)
    }

    deinit { abort() }

    /// Writes `data` to `url` whole or not at all; a failure is one line naming the path.
    public static func write(_ data: Data, to url: URL) throws {
        do {
            let writer = try AtomicFileWriter(destination: url)
            try data.withUnsafeBytes { try writer.write($0) }
            try writer.commit()
        } catch let fault as Fault {
            throw Fault(description: "\(url.path): \(fault.description)")
        }
    }
}
