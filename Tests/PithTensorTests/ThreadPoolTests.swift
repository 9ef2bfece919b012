import Synchronization
import Testing
@testable import PithTensor

@Test func parallelForCoversEveryIndexOnce() {
    let pool = ThreadPool(threads: 2)  // its own pool: other tests use the shared one concurrently
    for count in [0, 1, 2, 3, 7, 1000, 1537] {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        hits.initialize(repeating: 0, count: max(count, 1))
        defer { hits.deallocate() }
        pool.parallelFor(count) { range in for i in range { hits[i] += 1 } }
        #expect((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
    }
}

@Test func runGivesEveryPartOnce() {
    let pool = ThreadPool(threads: 2)  // its own pool: other tests use the shared one concurrently
    let parts = UnsafeMutablePointer<Int>.allocate(capacity: pool.threadCount)
    parts.initialize(repeating: 0, count: pool.threadCount)
    defer { parts.deallocate() }
    for _ in 0..<1000 {  // many back-to-back jobs: the spin/sleep handshake must not lose one
        pool.run { part, count in
            precondition(count == pool.threadCount)
            parts[part] += 1
        }
    }
    #expect((0..<pool.threadCount).allSatisfy { parts[$0] == 1000 })
}

@Test func nestedRunRunsSeriallyInside() {
    let pool = ThreadPool(threads: 2)  // its own pool: other tests use the shared one concurrently
    let inner = Atomic<Int>(0), outer = Atomic<Int>(0)
    pool.run { _, _ in
        outer.add(1, ordering: .relaxed)
        pool.run { part, parts in
            #expect(parts == pool.threadCount && part < parts)
            inner.add(1, ordering: .relaxed)
        }
    }
    // Each outer part runs the whole inner partition serially.
    #expect(outer.load(ordering: .relaxed) == pool.threadCount)
    #expect(inner.load(ordering: .relaxed) == pool.threadCount * pool.threadCount)
}

@Test func poolsOfOneThreadRunInline() {
    let pool = ThreadPool(threads: 1)
    #expect(pool.threadCount == 1)
    var seen: [Int] = []
    pool.run { part, parts in seen.append(part * 10 + parts) }
    #expect(seen == [1])
}

@Test func sleepingWorkersWakeUp() async throws {
    let pool = ThreadPool(threads: 2)
    let counter = Atomic<Int>(0)
    pool.run { _, _ in counter.add(1, ordering: .relaxed) }
    try await Task.sleep(for: .milliseconds(30))  // past the 1 ms spin: the worker is asleep
    pool.run { _, _ in counter.add(1, ordering: .relaxed) }
    #expect(counter.load(ordering: .relaxed) == 2 * pool.threadCount)
}
