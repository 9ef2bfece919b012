import Foundation
import PithPackaging

/// Drives the key-file readers (`--key`, `--sign`, `--public-key`) and the key-derivation decoders.
enum KeyHarness {
    static func runKeyFile(_ input: [UInt8]) {
        let url = ScratchFile.write(input, name: "input.key")
        _ = attempt("SymmetricKeyFile.read") { try SymmetricKeyFile.read(from: url) }
        _ = attempt("Signer(contentsOf:)") { try Signer(contentsOf: url) }
        _ = attempt("Verifier(contentsOf:)") { try Verifier(contentsOf: url) }
    }

    /// Decoding only: deriving a key runs scrypt at the record's cost, which is bounded (1 GiB) by design, not by input size.
    static func runKeyDerivation(_ input: [UInt8]) {
        if let record = attempt("KeyDerivation(encoded:)", { try KeyDerivation(encoded: input) }) {
            guard (try? KeyDerivation(encoded: record.encoded())) == record else { fatalError("pith-fuzz: a key-derivation record does not round-trip") }
        }
        _ = attempt("KeyDerivation from JSON") { try JSONDecoder().decode(KeyDerivation.self, from: Data(input)) }
    }
}
