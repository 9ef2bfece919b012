import Foundation

// libFuzzer's two entry points (https://llvm.org/docs/LibFuzzer.html). libFuzzer supplies `main` when the harness is
// built with `-sanitize=fuzzer`, so this target is compiled as a library (`-parse-as-library`) and is declared in
// Package.swift only when PITH_FUZZ is set: scripts/fuzz.sh builds and runs it.

/// Runs one input: the first byte picks the reader (`FuzzTarget`), the rest is what it reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let target = FuzzTarget.select(data[0])
    target.run(Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
    return 0
}

/// With PITH_FUZZ_SEEDS=<folder>, writes the seed corpus there and exits instead of fuzzing.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    guard let folder = ProcessInfo.processInfo.environment["PITH_FUZZ_SEEDS"], !folder.isEmpty else { return 0 }
    do {
        let count = try SeedCorpus.write(to: URL(fileURLWithPath: folder))
        print("pith-fuzz: wrote \(count) seeds to \(folder)")
        exit(0)
    } catch {
        print("pith-fuzz: cannot write seeds: \(error)")
        exit(1)
    }
}
