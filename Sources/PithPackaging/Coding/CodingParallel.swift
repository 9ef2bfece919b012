import Dispatch

/// Runs independent jobs (tensor chunks) on all cores with Dispatch, which balances chunks of unequal cost.
enum CodingParallel {
    /// Calls `body(i)` for every i in 0..<count, concurrently when `parallel`; rethrows the error of the
    /// lowest failing i after all have run.
    static func forEach(_ count: Int, parallel: Bool, _ body: (Int) throws -> Void) throws {
        guard parallel, count > 1 else {
            for i in 0..<count { try body(i) }
            return
        }
        let errors = UnsafeMutableBufferPointer<(any Error)?>.allocate(capacity: count)
        errors.initialize(repeating: nil)
        defer { errors.deinitialize(); errors.deallocate() }
        // Jobs touch disjoint data (chunk c writes only its own outputs, and its own error slot), which the
        // compiler cannot see through raw pointers; the box says so.
        withoutActuallyEscaping(body) { body in
            let job = UncheckedSendable(body), slots = UncheckedSendable(errors)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                do { try job.value(i) } catch { slots.value[i] = error }
            }
        }
        if let first = errors.first(where: { $0 != nil }), let error = first { throw error }
    }
}

/// A value handed to concurrent jobs that only touch disjoint parts of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Byte histograms.
enum Histogram {
    /// Adds the occurrences of each byte value in `bytes` to `counts` (256 entries). Four sub-tables keep
    /// runs of one value from serialising on a single counter.
    static func add(_ bytes: UnsafeRawBufferPointer, to counts: inout [UInt64]) {
        var t = [UInt32](repeating: 0, count: 4 * 256)
        t.withUnsafeMutableBufferPointer { t in
            guard let p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
            let n = bytes.count, whole = n & ~3
            var i = 0
            while i < whole {
                t[Int(p[i])] &+= 1
                t[256 + Int(p[i + 1])] &+= 1
                t[512 + Int(p[i + 2])] &+= 1
                t[768 + Int(p[i + 3])] &+= 1
                i += 4
            }
            while i < n { t[Int(p[i])] &+= 1; i += 1 }
        }
        // A histogram call covers at most one chunk (≤ 16 MiB), so the 32-bit counters cannot wrap.
        for s in 0..<256 { counts[s] += UInt64(t[s]) + UInt64(t[256 + s]) + UInt64(t[512 + s]) + UInt64(t[768 + s]) }
    }
}
