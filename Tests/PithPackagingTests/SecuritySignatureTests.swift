import Crypto
import Foundation
import Testing
@testable import PithPackaging

private func hex(_ text: String) -> [UInt8] {
    stride(from: 0, to: text.count, by: 2).map { offset in
        let start = text.index(text.startIndex, offsetBy: offset)
        return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
    }
}

@Test func ed25519MatchesRFC8032TestVector1() throws {
    // RFC 8032 §7.1, TEST 1: empty message.
    let signer = Signer(privateKey: try Curve25519.Signing.PrivateKey(
        rawRepresentation: hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
    #expect(signer.verifier.rawRepresentation == hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    let expected = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    // A signature made elsewhere verifies; this build's own signature verifies (it need not be deterministic).
    #expect(signer.verifier.verify(expected, for: [UInt8]()))
    let signature = try signer.sign([UInt8]())
    #expect(signature.count == 64)
    #expect(signer.verifier.verify(signature, for: [UInt8]()))
}

@Test func signaturesFailForAnotherKeyMessageOrSignature() throws {
    let signer = Signer.generate()
    let message = Array("sha256 of header and section table".utf8)
    let signature = try signer.sign(message)
    #expect(signer.verifier.verify(signature, for: message))
    #expect(!Signer.generate().verifier.verify(signature, for: message))

    var altered = message
    altered[0] ^= 1
    #expect(!signer.verifier.verify(signature, for: altered))
    #expect(!signer.verifier.verify(signature, for: message.dropLast()))
    for byte in [0, 31, 32, 63] {
        var bad = signature
        bad[byte] ^= 0x80
        #expect(!signer.verifier.verify(bad, for: message), "byte \(byte)")
    }
    #expect(!signer.verifier.verify(Array(signature.dropLast()), for: message))
    #expect(!signer.verifier.verify(signature + [0], for: message))
}

@Test func fingerprintIsTheFirstEightBytesOfTheKeyHash() throws {
    let verifier = try Verifier(rawRepresentation: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    let digest = SHA256.hash(data: verifier.rawRepresentation).map { String(format: "%02x", $0) }.joined()
    #expect(verifier.fingerprint == String(digest.prefix(16)))
    #expect(verifier.fingerprint.count == 16)
    #expect(throws: SecurityError.invalidSigningKey("public key is 31 bytes; 32 expected")) {
        try Verifier(rawRepresentation: [UInt8](repeating: 1, count: 31))
    }
}
