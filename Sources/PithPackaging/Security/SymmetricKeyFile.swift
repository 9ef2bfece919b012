import Crypto
import Foundation

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
