import PithKernels

/// The machine's sustained read bandwidth: the bound for decoding, which reads every weight once per token.
public enum MemoryBandwidth {
    /// Measures sustained read bandwidth (bytes/s) over a buffer larger than the cache, using all threads.
    ///
    /// Each thread sums its own slice (pages first touched by that thread); the best of 5 passes counts.
    public static func measure(bytes: Int = 512 << 20) -> Double {
        let count = max(bytes / MemoryLayout<Float>.stride, 1 << 16)
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        let pool = ThreadPool.shared
        pool.parallelFor(count) { range in
            (buffer + range.lowerBound).initialize(repeating: 1, count: range.count)
        }
        var best = Double.infinity
        var sink: Float = 0
        let clock = ContinuousClock()
        for _ in 0..<5 {
            let start = clock.now
            pool.run { part, parts in
                let lower = count * part / parts, upper = count * (part + 1) / parts
                let s = pith_sum_f32(buffer + lower, Int64(upper - lower))
                if s.isNaN { print(s) }  // keeps the sum alive
            }
            let elapsed = clock.now - start
            let seconds = elapsed.seconds
            best = min(best, seconds)
            sink += buffer[0]
        }
        return sink.isNaN ? 0 : Double(count * MemoryLayout<Float>.stride) / best
    }
}
