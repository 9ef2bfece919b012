// MARK: - Partial selection
//
// A 49152-entry vocabulary is sorted only as far as a filter needs: top-k keeps a k-entry heap
// (O(n log k), and for almost every token one comparison against the heap's worst entry), and
// top-p without top-k heapifies in O(n) and pops best-first until the mass is reached, so a
// peaked distribution costs a few pops instead of an n log n sort.

extension Sampler {
    /// Fills `candidates` with the `k` best scores, sorted best first (ties: lower id first).
    mutating func selectTopK(_ k: Int) {
        candidates.removeAll(keepingCapacity: true)
        scores.withUnsafeBufferPointer { scores in
            for i in 0..<k { candidates.append(Candidate(id: Int32(i), value: scores[i])) }
            // A min-heap: the root is the worst of the kept k.
            let worse: (Candidate, Candidate) -> Bool = { Candidate.isBetter($1, than: $0) }
            Self.heapify(&candidates, above: worse)
            for i in k..<scores.count where scores[i] > candidates[0].value {
                // Strictly greater: on a tie the newcomer has the higher id, so it is the worse one.
                candidates[0] = Candidate(id: Int32(i), value: scores[i])
                Self.siftDown(&candidates, from: 0, count: k, above: worse)
            }
        }
        candidates.sort(by: Candidate.isBetter)
    }

    /// Keeps the shortest best-first prefix of the sorted `candidates` whose weight reaches `mass`.
    mutating func keepSortedPrefix(mass: Double) {
        var cumulative = 0.0
        for i in candidates.indices {
            cumulative += Double(candidates[i].value)
            if cumulative >= mass {
                candidates.removeSubrange((i + 1)...)
                return
            }
        }
    }

    /// Like `keepSortedPrefix`, for unsorted `candidates`: heapify, then pop best-first until `mass` is reached.
    mutating func keepBestFirst(mass: Double) {
        kept.removeAll(keepingCapacity: true)
        Self.heapify(&candidates, above: Candidate.isBetter)
        var count = candidates.count
        var cumulative = 0.0
        while count > 0 && cumulative < mass {
            let best = candidates[0]
            kept.append(best)
            cumulative += Double(best.value)
            count -= 1
            candidates[0] = candidates[count]
            Self.siftDown(&candidates, from: 0, count: count, above: Candidate.isBetter)
        }
        swap(&candidates, &kept)
    }

    // MARK: - Binary heap over an array prefix

    /// Arranges `heap` so that every parent is `above` its children.
    static func heapify(_ heap: inout [Candidate], above: (Candidate, Candidate) -> Bool) {
        var i = heap.count / 2
        while i > 0 {
            i -= 1
            siftDown(&heap, from: i, count: heap.count, above: above)
        }
    }

    /// Moves `heap[from]` down within `heap[0..<count]` until it is `above` both children.
    static func siftDown(_ heap: inout [Candidate], from start: Int, count: Int, above: (Candidate, Candidate) -> Bool) {
        heap.withUnsafeMutableBufferPointer { h in
            var parent = start
            let item = h[parent]
            while true {
                var child = 2 * parent + 1
                if child >= count { break }
                if child + 1 < count && above(h[child + 1], h[child]) { child += 1 }
                if !above(h[child], item) { break }
                h[parent] = h[child]
                parent = child
            }
            h[parent] = item
        }
    }
}
