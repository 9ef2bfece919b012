/// The readers under test; an input's first byte, modulo the count, picks one.
///
/// Every reader must either return or throw a one-line error; a trap, a hang, a stack overflow or an allocation out of
/// proportion to the input is a finding (libFuzzer reports it and keeps the input).
enum FuzzTarget: UInt8, CaseIterable {
    /// A .pith package as it is: open, verify, load every model, read every section.
    case package = 0
    /// The same, after recomputing the digests, model checksums and signature the mutation broke, so the fuzzer
    /// reaches the checks behind them (a hostile writer recomputes them too).
    case repairedPackage
    /// `Model/<i>/tensors.json`.
    case tensorIndex
    /// A representation graph (structure.json).
    case graph
    /// A GGUF file, then its tokenizer and the model built from it.
    case gguf
    /// A safetensors file.
    case safetensors
    /// tokenizer.json, then a NUL byte and tokenizer_config.json.
    case tokenizer
    /// A key file, read as each of the three kinds.
    case keyFile
    /// A key-derivation record: its 32-byte binary form and its JSON form.
    case keyDerivation

    static func select(_ byte: UInt8) -> FuzzTarget { allCases[Int(byte) % allCases.count] }

    func run(_ input: [UInt8]) {
        switch self {
        case .package: PackageHarness.run(input)
        case .repairedPackage: PackageHarness.run(PackageRepair.repaired(input))
        case .tensorIndex: PackageHarness.runTensorIndex(input)
        case .graph: GraphHarness.run(input)
        case .gguf: FormatHarness.runGGUF(input)
        case .safetensors: FormatHarness.runSafetensors(input)
        case .tokenizer: TokenizerHarness.run(input)
        case .keyFile: KeyHarness.runKeyFile(input)
        case .keyDerivation: KeyHarness.runKeyDerivation(input)
        }
    }
}
