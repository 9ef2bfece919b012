import ArgumentParser
import Foundation
import PithGraph
import PithModels
import PithFormats
import PithPackaging

/// The model a command works on: a `.gguf` file, a Hugging Face folder, or a default model's alias;
/// optionally with its structure replaced by a graph file.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A .gguf file, a Hugging Face folder, a .pith package, or an alias of a default model (smollm2, minilm).")
    var model: String

    @Option(help: "Key file of an encrypted package.")
    var key: String?

    @Option(help: "Environment variable holding the passphrase of an encrypted package.")
    var passphraseEnv: String?

    @Option(help: "Use the model structure in this file (from `pith graph export`) over the model's weights.")
    var structure: String?

    @Flag(help: "Do not stop when a block's output holds a NaN or an infinity (the check is on by default).")
    var noCheckFinite = false

    func load() throws -> Model {
        try reportingErrors {
            let loaded = try PackageFile.isPackage(model)
                ? try PackagedModelLoader.load(try PackageReader(url: URL(fileURLWithPath: model)), decryption: try PackageFile.decryption(key, passphraseEnv: passphraseEnv))
                : try Model.load(model)
            guard let structure else { return loaded }
            let imported = try RepresentationCodec().import(contentsOf: URL(fileURLWithPath: structure))
            return try loaded.replacingStructure(with: imported)
        }
    }
}

/// Standard error, for progress and timings that must not mix with results on stdout.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
nonisolated(unsafe) var standardError = StandardError()

/// Runs `body`; a failure becomes one line on stderr (`pith: <file>: <fault>`) and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        print("pith: \(error)", to: &standardError)
        throw ExitCode(1)
    }
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Recognising packages among model arguments, and their keys.
enum PackageFile {
    /// Whether `path` is a file that starts with the package magic.
    static func isPackage(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)).map { Array($0) == FileHeader.magic } ?? false
    }

    /// The decryption for `--key`, if given.
    static func decryption(_ keyPath: String?, passphraseEnv: String? = nil) throws -> PackageDecryption? {
        if let keyPath { return try PackageDecryption(keyFile: URL(fileURLWithPath: keyPath)) }
        guard let passphraseEnv else { return nil }
        guard let phrase = ProcessInfo.processInfo.environment[passphraseEnv], !phrase.isEmpty else {
            throw PackageError.missing("--passphrase-env: the environment variable \(passphraseEnv) is not set")
        }
        return PackageDecryption(passphrase: phrase)
    }
}

/// Progress lines on stderr, only when a person is watching (a terminal), so logs stay clean.
enum Progress {
    static let enabled = isatty(2) != 0

    static func update(_ text: String) {
        guard enabled else { return }
        print("\r\(text)\u{1B}[K", terminator: "", to: &standardError)
    }

    /// Ends the progress line (if any) and prints `text` on stderr.
    static func finish(_ text: String) {
        print((enabled ? "\r" : "") + text + (enabled ? "\u{1B}[K" : ""), to: &standardError)
    }
}

/// Refuses an output path that names one of the inputs (a default model's alias counts as the file it stands for):
/// one line on stderr and exit status 64, before anything is read or written.
func requireDistinct(_ output: String?, from inputs: [String?], flag: String = "-o") throws {
    guard let output, output != "-" else { return }
    let locator = ModelLocator()
    let paths = inputs.compactMap { $0 }.flatMap { [$0] + (locator.path(ofAlias: $0).map { [$0.path] } ?? []) }
    do { try OutputPath.requireDistinct(output, from: paths, flag: flag) } catch {
        print("pith: \(error)", to: &standardError)
        throw ExitCode(64)
    }
}
