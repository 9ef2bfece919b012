import Crypto
import Foundation
import PithPackaging

/// Drives the package reader the way `pith verify` and `pith run <package>` do.
enum PackageHarness {
    /// The content key of the encrypted seeds; inputs are opened with it, so mutated encrypted sections reach
    /// the cipher's checks rather than stopping at "wrong key".
    static var key: SymmetricKey { SymmetricKey(data: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }) }
    /// The signing key of the signed seeds, and of the signatures `PackageRepair` recomputes.
    static var signingKey: Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) })
    }

    static func run(_ input: [UInt8]) {
        let url = ScratchFile.write(input, name: "input.pith")
        guard let reader = attempt("PackageReader(url:)", { try PackageReader(url: url) }) else { return }
        _ = attempt("verify") { try reader.verify(trustedKey: signingKey.publicKey) }
        let decryption = PackageDecryption(key: key)
        for i in reader.models.indices {
            _ = attempt("PackagedModelLoader.load") { try PackagedModelLoader.load(reader, model: i, decryption: decryption) }
        }
        for i in reader.sections.indices {
            _ = attempt("section(\(i))") { try reader.section(i, decryption: decryption) }
            _ = attempt("section(\(i)) without a key") { try reader.section(i) }
        }
    }

    static func runTensorIndex(_ input: [UInt8]) {
        guard let index = attempt("TensorIndex.decode", { try TensorIndex.decode(Data(input), file: "Model/0/tensors.json") }) else {
            return
        }
        _ = attempt("TensorIndex.validate") { try index.validate(dataSize: 1 << 20, file: "Model/0/tensors.json") }
        _ = index.layout
    }
}
