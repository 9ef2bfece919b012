import ArgumentParser
import Foundation
import PithPackaging

/// `pith keygen`: a signing key pair, or a symmetric content key, for packages (GB/T 42382.2 §8).
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate an Ed25519 signing key pair (NAME.key, NAME.pub) or a symmetric content key.")

    @Option(name: .shortAndLong, help: "Output: the pair's NAME (→ NAME.key, NAME.pub), or the symmetric key file.")
    var output: String
    @Flag(help: "Write a 256-bit AES key for encrypting packages instead of a signing key pair.")
    var symmetric = false
    @Flag(help: "Replace existing key files.")
    var force = false

    func run() throws {
        let url = URL(fileURLWithPath: output)
        try reportingErrors {
            do {
                try write(to: url)
            } catch SecurityError.keyFileExists(let path) {
                throw ValidationError("\(path): file exists; give --force to replace it")
            }
        }
    }

    private func write(to url: URL) throws {
        if symmetric {
            let key = SymmetricKeyFile.generate()
            try SymmetricKeyFile.write(key, to: url, overwrite: force)
            let check = KeyCheck.value(for: key).map { String(format: "%02x", $0) }.joined()
            print("wrote \(url.relativePath): 256-bit symmetric key (key check \(check)); keep it secret")
        } else {
            let signer = Signer.generate()
            let urls = try signer.writeKeyFiles(prefix: url, overwrite: force)
            print("wrote \(urls.privateKey.relativePath) (private; keep it secret) and \(urls.publicKey.relativePath) "
                + "(public), fingerprint \(signer.verifier.fingerprint)")
        }
    }
}
