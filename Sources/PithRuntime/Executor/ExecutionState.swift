/// The per-sequence state a graph carries between calls: one KV cache per attention operator.
public final class ExecutionState: @unchecked Sendable {
    /// Keys and values of one attention operator: (capacity, width) each, the first `length` rows filled.
    final class KVCache {
        let width: Int
        let capacity: Int
        let keys: UnsafeMutablePointer<Float>
        let values: UnsafeMutablePointer<Float>

        init(width: Int, capacity: Int) {
            self.width = width
            self.capacity = capacity
            keys = .allocate(capacity: max(width * capacity, 1))
            values = .allocate(capacity: max(width * capacity, 1))
        }

        func copy(rows: Int, from other: KVCache) {
            keys.update(from: other.keys, count: rows * width)
            values.update(from: other.values, count: rows * width)
        }

        deinit {
            keys.deallocate()
            values.deallocate()
        }
    }

    /// Tokens already in the caches (the next token's position).
    public internal(set) var length: Int = 0
    /// The most tokens the caches hold.
    public let capacity: Int
    let caches: [KVCache]

    init(widths: [Int], capacity: Int) {
        self.capacity = capacity
        caches = widths.map { KVCache(width: $0, capacity: capacity) }
    }

    /// Forgets every cached token.
    public func reset() { length = 0 }

    /// Drops cached tokens past `length` (e.g. to re-run a shared prefix).
    public func truncate(to newLength: Int) { length = min(length, max(newLength, 0)) }

    /// Makes this state a copy of `other` (beam search reorders beams this way).
    public func copy(from other: ExecutionState) {
        precondition(other.caches.count == caches.count && other.capacity == capacity, "states of different graphs")
        for (mine, theirs) in zip(caches, other.caches) { mine.copy(rows: other.length, from: theirs) }
        length = other.length
    }
}
