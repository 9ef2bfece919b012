// MARK: - GPT-2 byte-level alphabet

/// The GPT-2 byte ⇄ character mapping that lets a BPE vocabulary spell every byte with a printable character.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes
/// (controls, space, DEL, NBSP, soft hyphen) are shifted to U+0100 onwards in byte order, so a space
/// is spelled `Ġ` (U+0120) and a newline `Ċ` (U+010A). This is the table of OpenAI's `bytes_to_unicode`,
/// which both llama.cpp (`unicode_byte_to_utf8_map`) and Hugging Face `tokenizers` reproduce.
public enum ByteLevel {
    /// The character standing for each byte, indexed by the byte.
    public static let characterForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // Every value from 256 to 323 is a valid scalar, so this cannot fail.
                table[byte] = Unicode.Scalar(shifted) ?? "\0"
                shifted += 1
            }
        }
        return table
    }()

    /// The byte each mapped character stands for; characters outside the alphabet are absent.
    public static let byteForCharacter: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in characterForByte.enumerated() { map[scalar] = UInt8(byte) }
        return map
    }()

    /// Spells `bytes` in the byte-level alphabet (the form vocabulary entries are stored in).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(characterForByte[Int(byte)]) }
        return String(scalars)
    }

    /// The bytes a byte-level spelling stands for, or nil when a character lies outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            guard let byte = byteForCharacter[scalar] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }
}
