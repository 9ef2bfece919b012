// MARK: - BPE merging over token ids

/// The merge table of a BPE vocabulary keyed by pairs of token ids, and the merge loop over one word.
///
/// Both references apply, repeatedly, the adjacent pair with the lowest merge rank, the leftmost one on
/// ties (llama.cpp `llm_bigram_bpe::comparator`, HF `Word::merge_all`), until no adjacent pair has a rank.
/// Working on ids instead of strings keeps the inner loop free of string building and hashing.
struct BPEMerges: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private let table: [UInt64: UInt64]

    var count: Int { table.count }

    /// Builds the table; merges whose halves or result are not vocabulary entries can never fire on
    /// byte-level input (every symbol is always an entry), so they are skipped and counted.
    init(merges: [(String, String)], idForToken: [String: Int32]) {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            guard let left = idForToken[merge.0], let right = idForToken[merge.1],
                  let merged = idForToken[merge.0 + merge.1] else { continue }
            let key = Self.key(left, right)
            // A repeated pair keeps its first (lowest) rank, as a rank lookup in either reference does.
            if table[key] == nil { table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)) }
        }
        self.table = table
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// The rank and result of merging `left` then `right`, or nil when the pair never merges.
    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        guard let value = table[Self.key(left, right)] else { return nil }
        return (UInt32(truncatingIfNeeded: value >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: value)))
    }

    /// Merges `symbols` (one id per byte) into the final token ids of the word.
    func apply(_ symbols: [Int32]) -> [Int32] {
        if symbols.count < 2 { return symbols }
        return symbols.count <= Self.linearScanLimit ? applyByScan(symbols) : applyByQueue(symbols)
    }

    /// Up to this many symbols a rescan per merge beats keeping a heap (most words are short).
    static let linearScanLimit = 24

    // MARK: - Short words: rescan for the best pair after each merge

    func applyByScan(_ input: [Int32]) -> [Int32] {
        var symbols = input
        // ranks[i] is the rank of the pair (symbols[i], symbols[i+1]); UInt32.max when it never merges.
        var ranks = [UInt32](repeating: .max, count: symbols.count)
        var results = [Int32](repeating: 0, count: symbols.count)
        for i in 0..<(symbols.count - 1) {
            if let m = merge(symbols[i], symbols[i + 1]) { ranks[i] = m.rank; results[i] = m.merged }
        }
        ranks[symbols.count - 1] = .max
        while symbols.count > 1 {
            var best = -1
            var bestRank = UInt32.max
            for i in 0..<(symbols.count - 1) where ranks[i] < bestRank {
                bestRank = ranks[i]
                best = i
            }
            if best < 0 { break }
            symbols[best] = results[best]
            symbols.remove(at: best + 1)
            ranks.remove(at: best + 1)
            results.remove(at: best + 1)
            for i in [best - 1, best] where i >= 0 && i + 1 < symbols.count {
                if let m = merge(symbols[i], symbols[i + 1]) {
                    ranks[i] = m.rank; results[i] = m.merged
                } else {
                    ranks[i] = .max
                }
            }
            ranks[symbols.count - 1] = .max
        }
        return symbols
    }

    // MARK: - Long words: a priority queue of candidate pairs over a linked list of symbols

    func applyByQueue(_ input: [Int32]) -> [Int32] {
        let n = input.count
        var ids = input
        var next = Array(1...n)            // n marks the end
        var prev = Array(-1..<(n - 1))     // -1 marks the start
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0..<(n - 1) {
            if let m = merge(ids[i], ids[i + 1]) {
                heap.push(.init(rank: m.rank, left: Int32(i), leftID: ids[i], rightID: ids[i + 1], merged: m.merged))
            }
        }
        while let candidate = heap.pop() {
            let left = Int(candidate.left)
            guard alive[left] else { continue }
            let right = next[left]
            // Stale when either side has changed since the pair was queued (llama.cpp compares texts).
            guard right < n, ids[left] == candidate.leftID, ids[right] == candidate.rightID else { continue }
            ids[left] = candidate.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { prev[next[right]] = left }
            if prev[left] >= 0, let m = merge(ids[prev[left]], ids[left]) {
                heap.push(.init(rank: m.rank, left: Int32(prev[left]), leftID: ids[prev[left]], rightID: ids[left], merged: m.merged))
            }
            if next[left] < n, let m = merge(ids[left], ids[next[left]]) {
                heap.push(.init(rank: m.rank, left: Int32(left), leftID: ids[left], rightID: ids[next[left]], merged: m.merged))
            }
        }
        var output: [Int32] = []
        var i = 0
        while i < n { output.append(ids[i]); i = next[i] }
        return output
    }
}

/// A binary min-heap of merge candidates ordered by (rank, left position).
struct PairHeap {
    struct Candidate {
        var rank: UInt32
        var left: Int32
        var leftID: Int32
        var rightID: Int32
        var merged: Int32

        @inline(__always)
        func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    private var items: [Candidate] = []

    mutating func push(_ item: Candidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let l = 2 * parent + 1, r = l + 1
                var best = parent
                if l < items.count && items[l].precedes(items[best]) { best = l }
                if r < items.count && items[r].precedes(items[best]) { best = r }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
