import Crypto
import Foundation
import PithFormats

/// The text formats of Pith key files: a header line naming the kind, then the 32 key bytes in base64.
///
///     pith-symmetric-key-v1
///     q0xW3e…(44 characters of standard base64 with padding)
///
/// One header line, one key line, each ending in LF (CRLF is accepted); nothing else but empty lines may follow.
/// Secret files are written with mode 0600, public ones with 0644.
public enum KeyFileKind: String, CaseIterable, Sendable {
    /// An AES-256 content key (`pith keygen --symmetric`).
    case symmetric = "pith-symmetric-key-v1"
    /// An Ed25519 private key: its 32-byte seed (`pith keygen`, `NAME.key`).
    case ed25519Private = "pith-ed25519-private-v1"
    /// An Ed25519 public key (`pith keygen`, `NAME.pub`).
    case ed25519Public = "pith-ed25519-public-v1"

    /// The header line.
    public var header: String { rawValue }
    /// Bytes of the key.
    public var keyLength: Int { 32 }
    /// Whether the file holds a secret (written 0600).
    public var isSecret: Bool { self != .ed25519Public }
    /// What the file holds, for messages ("a symmetric key").
    public var noun: String {
        switch self {
        case .symmetric: "a symmetric key"
        case .ed25519Private: "an Ed25519 private key"
        case .ed25519Public: "an Ed25519 public key"
        }
    }
}

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

/// AES-256 content keys in `pith-symmetric-key-v1` files.
public enum SymmetricKeyFile {
    /// A fresh random 256-bit key.
    public static func generate() -> SymmetricKey { SymmetricKey(size: .bits256) }

    /// Writes `key` to `url` (mode 0600) atomically; refuses to replace an existing file unless `overwrite`.
    public static func write(_ key: SymmetricKey, to url: URL, overwrite: Bool = false) throws {
        try SectionCipher.checkKey(key)
        try KeyFile.write(key.withUnsafeBytes { Array($0) }, kind: .symmetric, to: url, overwrite: overwrite)
    }

    /// Reads and validates the key file at `url`; a fault names the file.
    public static func read(from url: URL) throws -> SymmetricKey {
        SymmetricKey(data: try KeyFile.read(url, kind: .symmetric))
    }
}
