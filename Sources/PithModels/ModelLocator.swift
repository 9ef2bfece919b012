import Foundation

/// Turns what a user typed (a path or a default model's alias) into a file or folder.
///
/// Default models live under `$PITH_HOME/models` (default `~/.cache/pith/models`), fetched by `make models`.
public struct ModelLocator: Sendable {
    /// Default models: alias → path relative to `$PITH_HOME/models`.
    public static let aliases: [String: String] = [
        "smollm2": "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "minilm": "minilm",
    ]

    public let home: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["PITH_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: custom)
        } else {
            home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pith")
        }
    }

    /// Where an alias's model lives (whether or not it is there).
    public func path(ofAlias alias: String) -> URL? {
        Self.aliases[alias].map { home.appendingPathComponent("models").appendingPathComponent($0) }
    }

    /// A path that exists, or the alias's model location; throws saying how to fetch a missing default model.
    public func resolve(_ reference: String) throws -> URL {
        let fm = FileManager.default
        if fm.fileExists(atPath: reference) { return URL(fileURLWithPath: reference) }
        if let url = path(ofAlias: reference) {
            guard fm.fileExists(atPath: url.path) else { throw ModelError.aliasNotFetched(alias: reference, path: url.path) }
            return url
        }
        if reference.contains("/") || reference.hasSuffix(".gguf") || reference.hasSuffix(".pith") {
            throw ModelError.notFound(reference)
        }
        throw ModelError.unknownAlias(reference, known: Self.aliases.keys.sorted())
    }
}
