import Foundation

/// A request that would exceed a limit (memory the machine has, a format maximum, a model's trained context),
/// refused before anything is allocated or run. Its description is one line naming what asked and why not.
public struct LimitError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Memory the machine can give, checked before any allocation whose size comes from a file, a flag, a recipe or the
/// network (docs/SECURITY.md, "Limits"). An allocation the system cannot back ends the process with no message; this
/// check turns it into one line and exit status 1.
public enum MemoryBudget {
    /// Bytes this process may still allocate: Linux's MemAvailable plus free swap (from /proc/meminfo), else the
    /// physical memory; `PITH_MEMORY_LIMIT` (bytes, or with a K/M/G suffix) lowers it, e.g. for tests.
    public static func availableBytes() -> Int {
        var available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) {
            var fields: [String: Int] = [:]
            for line in info.split(separator: "\n") {
                let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
                if parts.count >= 2, let kib = Int(parts[1]) { fields[String(parts[0])] = kib }
            }
            if let memory = fields["MemAvailable"] {
                available = (memory &+ (fields["SwapFree"] ?? 0)).multipliedReportingOverflow(by: 1024).partialValue
            }
        }
        if let limit = ProcessInfo.processInfo.environment["PITH_MEMORY_LIMIT"].flatMap(parseBytes) { available = min(available, limit) }
        return max(available, 0)
    }

    /// Throws naming `what` when `bytes` (nil: a size that overflowed) exceeds what the machine has.
    public static func require(_ bytes: Int?, for what: String) throws {
        guard let bytes, bytes >= 0 else { throw LimitError("\(what): the size overflows") }
        let available = availableBytes()
        guard bytes <= available else {
            throw LimitError("\(what) needs \(format(bytes)) of memory; \(format(available)) is available")
        }
    }

    /// `counts` multiplied, or nil when the product overflows or a count is negative.
    public static func product(_ counts: Int...) -> Int? { product(counts) }

    /// `counts` multiplied, or nil when the product overflows or a count is negative.
    public static func product(_ counts: [Int]) -> Int? {
        var total = 1
        for c in counts {
            guard c >= 0 else { return nil }
            let (p, overflow) = total.multipliedReportingOverflow(by: c)
            if overflow { return nil }
            total = p
        }
        return total
    }

    /// "12.3 GB", "512 MB", "40 KB" (decimal units, as `pith inspect` prints sizes).
    public static func format(_ bytes: Int) -> String {
        let units: [(Double, String)] = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")]
        for (size, unit) in units where Double(bytes) >= size { return String(format: "%.1f", Double(bytes) / size) + " " + unit }
        return "\(bytes) bytes"
    }

    static func parseBytes(_ text: String) -> Int? {
        let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let last = text.last?.uppercased().first, let scale = scales[last], let n = Int(text.dropLast()) {
            return product(n, scale)
        }
        return Int(text)
    }
}
