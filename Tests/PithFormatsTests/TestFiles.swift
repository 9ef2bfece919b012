import Foundation

/// A scratch directory per test, removed when the value goes away.
final class TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` inside this directory.
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Where pith keeps downloaded models: `$PITH_HOME`, or `~/.cache/pith`.
enum PithHome {
    static var url: URL {
        if let home = ProcessInfo.processInfo.environment["PITH_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pith")
    }

    static func model(_ relative: String) -> URL { url.appendingPathComponent("models/\(relative)") }

    static func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: model(relative).path)
    }
}
