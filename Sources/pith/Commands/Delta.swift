import ArgumentParser
import Foundation
import PithPackaging

/// `pith delta`: a residual update from one package to another (GB/T 42382.2 §8.2.6).
struct Delta: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a residual update B = A + Q(Δ) from a base package to a target package.")

    @Argument(help: "The base package A (what the device has).") var base: String
    @Argument(help: "The target package B.") var target: String
    @Option(name: .shortAndLong, help: "The update to write (.pithd).") var output: String
    @Option(help: "Bits per quantized difference, 2…8.") var bits = 8
    @Option(help: "Coding of the update's data: none, zstd or rans.") var compress = "rans"
    @Option(help: "Key file of an encrypted base.") var baseKey: String?
    @Option(help: "Key file of an encrypted target.") var targetKey: String?

    func run() throws {
        try requireDistinct(output, from: [base, target, baseKey, targetKey])
        let start = ContinuousClock.now
        let report = try reportingErrors {
            var options = ResidualUpdate.Options()
            options.bits = bits
            guard let coding = ["none": SectionCoding.none, "zstd": .zstd, "rans": .tensorCoding][compress] else {
                throw PackageError.malformed("--compress", "'\(compress)' is not none, zstd or rans")
            }
            options.coding = coding == .tensorCoding ? .zstd : coding
            options.baseDecryption = try PackageFile.decryption(baseKey)
            options.targetDecryption = try PackageFile.decryption(targetKey)
            return try ResidualUpdate.make(base: try PackageReader(url: URL(fileURLWithPath: base)), target: try PackageReader(url: URL(fileURLWithPath: target)),
                                           options: options, to: URL(fileURLWithPath: output)) { Progress.update("delta \($0)") }
        }
        Progress.finish("wrote \(output) in \(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s")
        let ratio = Double(report.updateSize) / Double(max(report.targetSize, 1))
        print("update      \(Format.bytes(report.updateSize)) (\(String(format: "%.1f%%", ratio * 100)) of the target package's \(Format.bytes(report.targetSize)))")
        print("tensors     \(report.tensorsSame) unchanged, \(report.tensorsDelta) as \(bits)-bit differences, \(report.tensorsWhole) carried whole")
        print("error       B′ = A + Q(Δ) against B: max |B′ − B| \(String(format: "%.3g", report.error.maxAbs)), relative Frobenius \(String(format: "%.3g", report.error.relativeFrobenius))")
    }
}

/// `pith patch`: applies a residual update to its base.
struct Patch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild the target package from its base and a residual update.")

    @Argument(help: "The base package the update names.") var base: String
    @Argument(help: "The update (.pithd).") var update: String
    @Option(name: .shortAndLong, help: "The package to write.") var output: String
    @Option(help: "Key file of an encrypted base.") var baseKey: String?

    func run() throws {
        try requireDistinct(output, from: [base, update, baseKey])
        let report = try reportingErrors {
            try ResidualPatch.apply(base: try PackageReader(url: URL(fileURLWithPath: base)), update: try PackageReader(url: URL(fileURLWithPath: update)),
                                    baseDecryption: try PackageFile.decryption(baseKey), to: URL(fileURLWithPath: output)) { Progress.update("patch \($0)") }
        }
        Progress.finish("wrote \(output): \(Format.bytes(report.fileSize)); recorded error of the \(report.bits)-bit update: max |B′ − B| \(String(format: "%.3g", report.error.maxAbs)), relative Frobenius \(String(format: "%.3g", report.error.relativeFrobenius))")
    }
}
