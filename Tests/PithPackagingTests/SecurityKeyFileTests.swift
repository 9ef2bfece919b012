import Crypto
import Foundation
import Testing
@testable import PithPackaging

/// A fresh empty folder, removed when the test ends.
private final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-security-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    func write(_ name: String, _ text: String) throws -> URL {
        let target = file(name)
        try Data(text.utf8).write(to: target)
        return target
    }
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }
    deinit { try? FileManager.default.removeItem(at: url) }
}

private func mode(_ url: URL) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as! NSNumber).intValue
}

private func readFault(_ url: URL) -> String? {
    do { _ = try SymmetricKeyFile.read(from: url); return nil } catch { return "\(error)" }
}

private let key32 = Data((0..<32).map { UInt8($0) }).base64EncodedString()

// MARK: - Symmetric keys

@Test func symmetricKeyFileRoundTripsWithMode0600() throws {
    let folder = try TemporaryFolder()
    let url = folder.file("model.key")
    let key = SymmetricKeyFile.generate()
    try SymmetricKeyFile.write(key, to: url)
    #expect(try mode(url) == 0o600)
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.hasPrefix("pith-symmetric-key-v1\n") && text.hasSuffix("\n"))
    #expect(text.split(separator: "\n").map(\.count) == [21, 44])
    #expect(try SymmetricKeyFile.read(from: url) == key)
    #expect(folder.names == ["model.key"])  // no temporary file left behind
}

@Test func existingKeyFilesAreReplacedOnlyWhenAsked() throws {
    let folder = try TemporaryFolder()
    let url = folder.file("model.key")
    let first = SymmetricKeyFile.generate(), second = SymmetricKeyFile.generate()
    try SymmetricKeyFile.write(first, to: url)
    #expect(throws: SecurityError.keyFileExists(path: url.relativePath)) { try SymmetricKeyFile.write(second, to: url) }
    #expect(try SymmetricKeyFile.read(from: url) == first)
    try SymmetricKeyFile.write(second, to: url, overwrite: true)
    #expect(try SymmetricKeyFile.read(from: url) == second)
    #expect(try mode(url) == 0o600)
    #expect(folder.names == ["model.key"])
}

@Test func relativePathsAreNamedAsGiven() throws {
    let folder = try TemporaryFolder()
    let url = URL(fileURLWithPath: "bad.key", relativeTo: folder.url)
    try Data("nonsense\n".utf8).write(to: url)
    #expect(readFault(url) == "bad.key: first line is not 'pith-symmetric-key-v1'; not a Pith key file holding a symmetric key")
}

@Test func malformedSymmetricKeyFilesNameTheFileAndTheFault() throws {
    let folder = try TemporaryFolder()
    let cases: [(String, String)] = [
        ("", "is empty; a symmetric key file ('pith-symmetric-key-v1') is expected"),
        ("\n\n", "is empty; a symmetric key file ('pith-symmetric-key-v1') is expected"),
        ("pith-symmetric-key-v2\n\(key32)\n", "first line is not 'pith-symmetric-key-v1'; not a Pith key file holding a symmetric key"),
        ("\(key32)\n", "first line is not 'pith-symmetric-key-v1'; not a Pith key file holding a symmetric key"),
        ("pith-ed25519-private-v1\n\(key32)\n",
         "holds an Ed25519 private key ('pith-ed25519-private-v1'); a symmetric key ('pith-symmetric-key-v1') is expected"),
        ("pith-symmetric-key-v1\n", "has no key line after 'pith-symmetric-key-v1'"),
        ("pith-symmetric-key-v1\n\(key32)\nextra\n", "has 1 unexpected line(s) after the key"),
        ("pith-symmetric-key-v1\n\(key32.dropLast())\n", "key line is not valid base64"),
        ("pith-symmetric-key-v1\n \(key32)\n", "key line is not valid base64"),
        ("pith-symmetric-key-v1\n\(Data(count: 31).base64EncodedString())\n", "key is 31 bytes; 32 expected for a symmetric key"),
        ("pith-symmetric-key-v1\n\(Data(count: 64).base64EncodedString())\n", "key is 64 bytes; 32 expected for a symmetric key"),
        (String(repeating: "x", count: 5000), "is 4097 bytes; a key file is at most 4096"),
    ]
    for (index, (text, fault)) in cases.enumerated() {
        let url = try folder.write("case\(index).key", text)
        #expect(readFault(url) == "\(url.relativePath): \(fault)", "case \(index)")
    }
    let binary = folder.file("binary.key")
    try Data([0x70, 0xFF, 0xFE, 0x0A]).write(to: binary)
    #expect(readFault(binary) == "\(binary.relativePath): is not UTF-8 text")
    let missing = folder.file("missing.key")
    #expect(readFault(missing) == "\(missing.relativePath): cannot read: No such file or directory")
}

@Test func windowsLineEndingsAndNoFinalNewlineAreAccepted() throws {
    let folder = try TemporaryFolder()
    let expected = SymmetricKey(data: (0..<32).map { UInt8($0) })
    #expect(try SymmetricKeyFile.read(from: folder.write("crlf.key", "pith-symmetric-key-v1\r\n\(key32)\r\n")) == expected)
    #expect(try SymmetricKeyFile.read(from: folder.write("bare.key", "pith-symmetric-key-v1\n\(key32)")) == expected)
}

// MARK: - Signing key pairs

@Test func signingKeyPairRoundTrips() throws {
    let folder = try TemporaryFolder()
    let signer = Signer.generate()
    let urls = try signer.writeKeyFiles(prefix: folder.file("signer"))
    #expect(urls.privateKey.lastPathComponent == "signer.key" && urls.publicKey.lastPathComponent == "signer.pub")
    #expect(try mode(urls.privateKey) == 0o600)
    #expect(try mode(urls.publicKey) == 0o644)
    #expect(try String(contentsOf: urls.privateKey, encoding: .utf8).hasPrefix("pith-ed25519-private-v1\n"))
    #expect(try String(contentsOf: urls.publicKey, encoding: .utf8).hasPrefix("pith-ed25519-public-v1\n"))
    #expect(folder.names == ["signer.key", "signer.pub"])

    let loaded = try Signer(contentsOf: urls.privateKey)
    let verifier = try Verifier(contentsOf: urls.publicKey)
    #expect(verifier.rawRepresentation == signer.verifier.rawRepresentation)
    let message = Array("package digest".utf8)
    #expect(verifier.verify(try loaded.sign(message), for: message))

    // A prefix given with an extension names the same pair.
    #expect(Signer.keyFileURLs(prefix: folder.file("signer.key")).publicKey == urls.publicKey)
    #expect(Signer.keyFileURLs(prefix: folder.file("signer.pub")).privateKey == urls.privateKey)
}

@Test func signingKeyPairIsNotWrittenHalfOverAnExistingFile() throws {
    let folder = try TemporaryFolder()
    let pub = try folder.write("signer.pub", "keep me\n")
    #expect(throws: SecurityError.keyFileExists(path: pub.relativePath)) {
        try Signer.generate().writeKeyFiles(prefix: folder.file("signer"))
    }
    #expect(folder.names == ["signer.pub"])
    #expect(try String(contentsOf: pub, encoding: .utf8) == "keep me\n")
    try Signer.generate().writeKeyFiles(prefix: folder.file("signer"), overwrite: true)
    #expect(folder.names == ["signer.key", "signer.pub"])
}

@Test func keyFilesOfTheWrongKindAreRefused() throws {
    let folder = try TemporaryFolder()
    let urls = try Signer.generate().writeKeyFiles(prefix: folder.file("signer"))
    let symmetric = folder.file("model.key")
    try SymmetricKeyFile.write(SymmetricKeyFile.generate(), to: symmetric)

    func fault(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }
    #expect(fault { _ = try Signer(contentsOf: urls.publicKey) } == "\(urls.publicKey.relativePath): holds an Ed25519 "
        + "public key ('pith-ed25519-public-v1'); an Ed25519 private key ('pith-ed25519-private-v1') is expected")
    #expect(fault { _ = try Verifier(contentsOf: urls.privateKey) } == "\(urls.privateKey.relativePath): holds an Ed25519 "
        + "private key ('pith-ed25519-private-v1'); an Ed25519 public key ('pith-ed25519-public-v1') is expected")
    #expect(fault { _ = try Signer(contentsOf: symmetric) } == "\(symmetric.relativePath): holds a symmetric key "
        + "('pith-symmetric-key-v1'); an Ed25519 private key ('pith-ed25519-private-v1') is expected")
    #expect(fault { _ = try SymmetricKeyFile.read(from: urls.privateKey) } == "\(urls.privateKey.relativePath): holds an "
        + "Ed25519 private key ('pith-ed25519-private-v1'); a symmetric key ('pith-symmetric-key-v1') is expected")
    let short = try folder.write("short.pub", "pith-ed25519-public-v1\n\(Data(count: 33).base64EncodedString())\n")
    #expect(fault { _ = try Verifier(contentsOf: short) }
        == "\(short.relativePath): key is 33 bytes; 32 expected for an Ed25519 public key")
}
