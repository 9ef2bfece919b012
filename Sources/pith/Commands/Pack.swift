import ArgumentParser
import Foundation
import PithModels
import PithPackaging

/// `pith pack`: a model (or several) into one package (GB/T 42382.2 §8).
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pack models, programs and meta-information into a .pith package.")

    @Argument(help: "Models to pack: .gguf files, Hugging Face folders or aliases (several share one package).")
    var models: [String]
    @Option(name: .shortAndLong, help: "The package to write.") var output: String
    @Option(help: "JSON with managementinfo / technicalinfo fields to add or override.") var meta: String?
    @Option(help: "A folder of runtime scripts and converter configuration to carry under Program/.") var program: String?
    @Option(help: "Ed25519 private key file to sign with (pith keygen).") var sign: String?
    @Option(help: "Symmetric key file to encrypt with (pith keygen --symmetric).") var encrypt: String?
    @Option(help: "Encrypt with a key derived from the passphrase in this environment variable (scrypt).") var passphraseEnv: String?
    @Option(help: "Compact model data: none, zstd or rans.") var compress = "none"

    func run() throws {
        try requireDistinct(output, from: models + [meta, sign, encrypt])
        var options = Packer.Options()
        try reportingErrors {
            if let meta {
                guard let data = FileManager.default.contents(atPath: meta) else { throw PackageError.missing("\(meta): cannot read file") }
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    throw PackageError.malformed(meta, "not a JSON object")
                }
                options.meta = object
            }
            options.programDirectory = program.map { URL(fileURLWithPath: $0) }
            guard let coding = ["none": SectionCoding.none, "zstd": .zstd, "rans": .tensorCoding][compress] else {
                throw PackageError.malformed("--compress", "'\(compress)' is not none, zstd or rans")
            }
            options.coding = coding
            if let sign { options.signingKey = try PackageKeys.signingKey(URL(fileURLWithPath: sign)) }
            if let encrypt { options.encryption = try PackageEncryption(keyFile: URL(fileURLWithPath: encrypt)) }
            if let passphraseEnv {
                guard options.encryption == nil else { throw PackageError.malformed("--passphrase-env", "give --encrypt or --passphrase-env, not both") }
                guard let phrase = ProcessInfo.processInfo.environment[passphraseEnv], !phrase.isEmpty else {
                    throw PackageError.missing("--passphrase-env: the environment variable \(passphraseEnv) is not set")
                }
                options.encryption = try PackageEncryption(passphrase: phrase)
            }
        }
        let loaded = try models.map { reference in try reportingErrors { try Model.load(reference) } }
        let start = ContinuousClock.now
        let report = try reportingErrors {
            try Packer.pack(loaded, options: options, to: URL(fileURLWithPath: output)) { Progress.update("packing \($0)") }
        }
        let original = report.sections.reduce(0) { $0 + $1.original }
        Progress.finish("wrote \(output): \(Format.bytes(report.fileSize)) (\(report.sections.count) sections, \(Format.bytes(original)) before coding) in \(String(format: "%.2f", (ContinuousClock.now - start).seconds)) s")
    }
}

/// `pith unpack`: a package back into its directory structure, each model in its source format.
struct Unpack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Unpack a .pith package into Model/, Program/ and Meta-info/.")

    @Argument(help: "The package.") var package: String
    @Option(name: .shortAndLong, help: "The folder to write into.") var output: String
    @Option(help: "Key file of an encrypted package.") var key: String?
    @Option(help: "Environment variable holding the passphrase of an encrypted package.") var passphraseEnv: String?
    @Option(help: "Model format: gguf (tensors in their own encoding) or safetensors (f32); default: the format it was packed from, byte for byte.") var to: String?
    @Option(help: "With --to gguf, for tensors whose encoding GGUF has no type for: lossless (integer schemes re-blocked as Q4_0/Q4_1/Q5_0/Q5_1/Q8_0), f16 or f32 (dequantized); default: refuse them.") var ggufFallback: String?

    func run() throws {
        let written = try reportingErrors {
            let target = try to.map { t in
                guard let value = Unpacker.Target(rawValue: t) else { throw PackageError.malformed("--to", "'\(t)' is not gguf or safetensors") }
                return value
            }
            let fallback = try ggufFallback.map { f in
                guard let value = GGUFExporter.Fallback(rawValue: f) else { throw PackageError.malformed("--gguf-fallback", "'\(f)' is not lossless, f16 or f32") }
                return value
            }
            let reader = try PackageReader(url: URL(fileURLWithPath: package))
            return try Unpacker.unpack(reader, to: URL(fileURLWithPath: output), decryption: try PackageFile.decryption(key, passphraseEnv: passphraseEnv),
                                       target: target, ggufFallback: fallback)
        }
        for file in written { print(file) }
    }
}

/// `pith verify`: every hash, the padding and the signature of a package.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a package's integrity (SHA-256 of header and sections) and signature.")

    @Argument(help: "The package.") var package: String
    @Option(help: "Public key file the package must be signed with.") var publicKey: String?

    func run() throws {
        let start = ContinuousClock.now
        let result = try reportingErrors {
            let trusted = try publicKey.map { try PackageKeys.publicKey(URL(fileURLWithPath: $0)) }
            return try PackageReader(url: URL(fileURLWithPath: package)).verify(trustedKey: trusted)
        }
        let seconds = (ContinuousClock.now - start).seconds
        var line = "\(package): OK, header and \(result.sectionsChecked) sections (\(Format.bytes(result.bytesChecked))) match their SHA-256"
        if let signer = result.signer {
            line += result.signerTrusted ? "; signed by the trusted key \(signer)" : "; signed by key \(signer) (give --public-key to check who)"
        } else {
            line += "; not signed"
        }
        print(line + String(format: " (%.2f s)", seconds))
    }
}
