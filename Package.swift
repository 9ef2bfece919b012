// swift-tools-version: 6.0
import PackageDescription

// Hot kernels are compiled at -O3 for the machine that builds them (a source-built tool runs where it is built).
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-march=native", "-ffp-contract=fast"])]

let package = Package(
    name: "Pith",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pith", targets: ["pith"]),
        .library(name: "Pith", targets: ["PithRuntime", "PithModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: - Layer 1: tensor core
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .target(name: "PithKernels", cSettings: kernelFlags),
        .target(name: "PithTensor", dependencies: ["COpenBLAS", "PithKernels"]),
        // MARK: - Layer 2: representation
        .target(name: "PithGraph", dependencies: ["PithTensor"]),
        // MARK: - Layer 3–4: formats and tokenizers
        .target(name: "PithFormats", dependencies: ["PithTensor"]),
        .target(name: "PithTokenizers", dependencies: ["PithFormats"]),
        // MARK: - Layer 5–6: models and runtime
        .target(name: "PithModels", dependencies: ["PithGraph", "PithFormats", "PithTokenizers"]),
        .target(name: "PithRuntime", dependencies: ["PithModels", "PithGraph", "PithTensor", "PithTokenizers"]),
        // MARK: - Layer 7: training (reverse-mode differentiation walked from the graph, losses, optimizers)
        .target(name: "PithTrain", dependencies: ["PithRuntime", "PithModels", "PithGraph", "PithTensor"]),
        // MARK: - Layer 8: compression passes (quantization, calibration, recipes)
        .target(name: "PithCompress", dependencies: [
            "PithRuntime", "PithModels", "PithGraph", "PithTensor", "COpenBLAS",
            .product(name: "Yams", package: "Yams"),
        ]),
        // MARK: - Layer 7: packages (§8)
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .target(name: "PithPackaging", dependencies: [
            "PithGraph", "PithFormats", "PithTensor", "PithModels", "CZstd",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // MARK: - Layer 9: evaluation (perplexity, KL divergence, size, speed, reports)
        .target(name: "PithEval", dependencies: ["PithRuntime", "PithModels", "PithGraph", "PithTokenizers", "PithTensor", "PithFormats"]),
        // MARK: - The command-line tool
        .executableTarget(name: "pith", dependencies: [
            "PithRuntime", "PithModels", "PithGraph", "PithFormats", "PithPackaging", "PithCompress", "PithEval",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Release-mode micro-benchmark of the tensor kernels (GB/s of weights, GFLOP/s, dispatch cost).
        .executableTarget(name: "pith-kernel-bench", dependencies: ["PithTensor"]),
        // MARK: - Tests
        .testTarget(name: "PithTensorTests", dependencies: ["PithTensor"]),
        .testTarget(name: "PithGraphTests", dependencies: ["PithGraph"]),
        .testTarget(name: "PithFormatsTests", dependencies: ["PithFormats"]),
        .testTarget(name: "PithTokenizersTests", dependencies: ["PithTokenizers", "PithFormats"], resources: [.copy("Data")]),
        .testTarget(name: "PithModelsTests", dependencies: ["PithModels"]),
        .testTarget(name: "PithRuntimeTests", dependencies: ["PithRuntime", "PithModels"], resources: [.copy("Data")]),
        .testTarget(name: "PithTrainTests", dependencies: ["PithTrain", "PithRuntime", "PithModels", "PithFormats", "PithTokenizers"],
                    resources: [.copy("Data")]),
        .testTarget(name: "PithCompressTests", dependencies: ["PithCompress", "PithRuntime", "PithModels", "PithPackaging"],
                    resources: [.copy("Data")]),
        .testTarget(name: "PithPackagingTests", dependencies: ["PithPackaging", "PithRuntime", "PithModels"]),
        .testTarget(name: "PithEvalTests", dependencies: ["PithEval", "PithRuntime", "PithModels"]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - The fuzzing harness (scripts/fuzz.sh)
// libFuzzer supplies its `main` when a target is built with `--sanitize=fuzzer`, so the harness has none and cannot
// link in an ordinary build: it is declared only when PITH_FUZZ is set, and a plain `swift build` never sees it.
if Context.environment["PITH_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "pith-fuzz",
        dependencies: ["PithPackaging", "PithModels", "PithGraph", "PithFormats", "PithTokenizers",
                       .product(name: "Crypto", package: "swift-crypto")],
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
