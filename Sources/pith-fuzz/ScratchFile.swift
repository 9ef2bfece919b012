import Foundation

/// The files inputs are written to, for readers that take a path (they memory-map): one folder per process, so
/// parallel fuzzing jobs never share a file, removed when the process exits normally.
enum ScratchFile {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: ScratchFile.folder) }
        return url
    }()

    /// Writes `bytes` to `name` in the folder, replacing what was there.
    static func write(_ bytes: [UInt8], name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        do { try Data(bytes).write(to: url) } catch { fatalError("pith-fuzz: cannot write \(url.path): \(error)") }
        return url
    }
}
