import Foundation

/// With PITH_FUZZ_VERBOSE set, every error a reader throws is printed (to check that the seeds get through).
let verbose = ProcessInfo.processInfo.environment["PITH_FUZZ_VERBOSE"] != nil

/// Runs one reader call: its value, or nil when it threw. A thrown error must say something (the CLI prints it as the
/// whole message). Errors may run over several lines: they quote names from the input, which may hold line breaks.
func attempt<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch {
        let text = "\(error)"
        if verbose { print("\(what): \(text)") }
        if text.isEmpty { fatalError("pith-fuzz: \(what) threw an error with no description: \(type(of: error))") }
        return nil
    }
}
