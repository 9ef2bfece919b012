import Foundation
import PithFormats

/// Reads, writes and validates key files.
enum KeyFile {
    /// The largest file a reader accepts; a key file is under 100 bytes.
    static let maximumFileSize = 4096

    /// The file's text for `key`.
    static func encode(_ key: [UInt8], kind: KeyFileKind) -> String {
        "\(kind.header)\n\(Data(key).base64EncodedString())\n"
    }

    /// The key bytes in `contents`, validated; a fault names `path`.
    static func decode(_ contents: [UInt8], kind: KeyFileKind, path: String) throws -> [UInt8] {
        func fault(_ text: String) -> SecurityError { .keyFile(path: path, fault: text) }
        guard contents.count <= maximumFileSize else {
            throw fault("is \(contents.count) bytes; a key file is at most \(maximumFileSize)")
        }
        guard String(data: Data(contents), encoding: .utf8) != nil else { throw fault("is not UTF-8 text") }
        // Split bytes, not Characters: Swift reads "\r\n" as one Character.
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { throw fault("is empty; \(kind.noun) file ('\(kind.header)') is expected") }
        guard first == kind.header else {
            // Never echo the line itself: in a damaged secret file it may be key material.
            if let other = KeyFileKind(rawValue: first) {
                throw fault("holds \(other.noun) ('\(other.header)'); \(kind.noun) ('\(kind.header)') is expected")
            }
            throw fault("first line is not '\(kind.header)'; not a Pith key file holding \(kind.noun)")
        }
        guard lines.count >= 2 else { throw fault("has no key line after '\(kind.header)'") }
        guard lines.count == 2 else { throw fault("has \(lines.count - 2) unexpected line(s) after the key") }
        guard let key = Data(base64Encoded: lines[1]) else {
            throw fault("key line is not valid base64")
        }
        guard key.count == kind.keyLength else {
            throw fault("key is \(key.count) bytes; \(kind.keyLength) expected for \(kind.noun)")
        }
        return Array(key)
    }

    /// Reads and validates the key file at `url`.
    static func read(_ url: URL, kind: KeyFileKind) throws -> [UInt8] {
        let path = url.relativePath
        let contents: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            contents = Array(try handle.read(upToCount: maximumFileSize + 1) ?? Data())
        } catch {
            throw SecurityError.keyFile(path: path, fault: "cannot read: \(Self.reason(error))")
        }
        return try decode(contents, kind: kind, path: path)
    }

    /// A key file written in full under its temporary name, not yet in place.
    struct Prepared {
        let writer: AtomicFileWriter
        let url: URL
    }

    /// Writes a key file under a temporary name, ready to `commit`.
    static func prepare(_ key: [UInt8], kind: KeyFileKind, to url: URL, overwrite: Bool) throws -> Prepared {
        let path = url.relativePath
        if !overwrite, FileManager.default.fileExists(atPath: url.path) { throw SecurityError.keyFileExists(path: path) }
        do {
            let writer = try AtomicFileWriter(destination: url, permissions: kind.isSecret ? 0o600 : 0o644)
            do {
                try writer.write(Array(encode(key, kind: kind).utf8))
            } catch {
                writer.abort()
                throw error
            }
            return Prepared(writer: writer, url: url)
        } catch {
            throw SecurityError.keyFile(path: path, fault: Self.reason(error))
        }
    }

    /// Moves a prepared file into place; without `overwrite` an existing file stays and the commit fails.
    static func commit(_ file: Prepared, overwrite: Bool) throws {
        let path = file.url.relativePath
        do {
            try file.writer.commit(replacingExisting: overwrite)
        } catch {
            if !overwrite, FileManager.default.fileExists(atPath: file.url.path) {
                throw SecurityError.keyFileExists(path: path)
            }
            throw SecurityError.keyFile(path: path, fault: Self.reason(error))
        }
    }

    /// Writes one key file atomically.
    static func write(_ key: [UInt8], kind: KeyFileKind, to url: URL, overwrite: Bool) throws {
        try commit(prepare(key, kind: kind, to: url, overwrite: overwrite), overwrite: overwrite)
    }

    static func reason(_ error: Error) -> String {
        if let fault = error as? AtomicFileWriter.Fault { return fault.description }
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
