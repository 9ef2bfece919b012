import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Guards on where a command writes.
public enum OutputPath {
    /// Why an output path was refused.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Throws when `output` is one of `inputs` — the same path, or another name of the same file (a link, `./x`,
    /// a hard link) — so `pith pack X.gguf -o X.gguf` can never replace the model it reads. `flag` names the option.
    public static func requireDistinct(_ output: String, from inputs: [String], flag: String = "-o") throws {
        guard let out = identity(of: output) else { return }  // a new file: it cannot be an input
        for input in inputs where identity(of: input) == out {
            throw Refusal(description: "\(flag) \(output): is the input \(input); write to another file")
        }
    }

    /// Device and inode of an existing path (links followed), nil when there is none.
    static func identity(of path: String) -> [UInt64]? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return [UInt64(s.st_dev), UInt64(s.st_ino)]
    }
}
