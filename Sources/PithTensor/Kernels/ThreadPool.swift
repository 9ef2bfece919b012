import Foundation
import PithKernels

/// Persistent worker threads for fork-join kernels, one per core.
///
/// A decode step makes ~211 linear calls of 10–100 µs each, so dispatch must cost about a microsecond:
/// workers (C, `threadpool.c`) spin on a generation counter for 1 ms after each job before sleeping.
public final class ThreadPool: @unchecked Sendable {
    /// The pool every kernel uses: one thread per active processor, or `PITH_THREADS` when set.
    public static let shared = ThreadPool(threads: ThreadPool.defaultThreadCount())

    /// Threads that take part in a job, the calling thread included.
    public let threadCount: Int
    /// The C pool (`pith_pool *`); nil only if it could not be allocated, then jobs run inline.
    let handle: OpaquePointer?

    /// A pool of `threads` threads in all; the caller of `run` is one of them.
    public init(threads: Int) {
        handle = pith_pool_create(Int32(clamping: max(1, threads)))
        threadCount = Int(pith_pool_threads(handle))
    }

    static func defaultThreadCount() -> Int {
        if let value = ProcessInfo.processInfo.environment["PITH_THREADS"], let n = Int(value), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs body(part, partCount) on every thread (caller thread included); returns when all finished.
    ///
    /// Each part 0..<partCount runs exactly once, on whichever thread claims it first: when a worker is
    /// descheduled (a shared machine), the caller runs its part rather than waiting for it.
    ///
    /// A call from inside `body`, or while another thread is running a job on this pool, runs every part in
    /// turn on the calling thread: the same partition, so the same results, as a parallel run.
    public func run(_ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { escaping in
            var closure = escaping
            withUnsafeMutablePointer(to: &closure) { pointer in
                pith_pool_run(handle, { context, part, parts in
                    guard let context else { return }
                    context.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee(Int(part), Int(parts))
                }, pointer)
            }
        }
    }

    /// Splits 0..<count into contiguous chunks, one per thread, and runs body on each non-empty chunk.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        if count == 1 { body(0..<1); return }
        run { part, parts in
            let lower = count * part / parts, upper = count * (part + 1) / parts
            if lower < upper { body(lower..<upper) }
        }
    }
}
