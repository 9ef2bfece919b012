import PithTensor

/// Statistics of one linear layer's input (features = the weight's cols), accumulated over calibration tokens.
///
/// Holds what the algorithms need: the Gram matrix for GPTQ and output-error losses, mean and max magnitudes for
/// AWQ and SmoothQuant, and a uniform sample of input rows (reservoir sampling with a fixed seed, so runs repeat).
public struct InputStatistics: Sendable {
    public let features: Int
    /// Input rows kept in `sampleRows` at most.
    public let keepSampleRows: Int
    /// Whether `gram` is accumulated (features² doubles; GPTQ needs it, the losses fall back to `sampleRows`).
    public let keepsGram: Bool
    public private(set) var tokens: Int = 0
    /// Σ x xᵀ over tokens (features × features, Double, row-major); GPTQ's H = 2/tokens · this.
    public private(set) var gram: [Double]
    /// Σ |x_j| (AWQ's mean activation magnitude = absSum/tokens).
    public private(set) var absSum: [Double]
    /// Σ x_j (the input's mean = sum/tokens: a linear with a bias absorbs the mean of its output error).
    public private(set) var sum: [Double]
    /// Σ x̃ xᵀ (features × features, row = the reference's feature), where x̃ is the same token's input in the float
    /// model: present when the statistics are accumulated with a reference (`accumulate(_:reference:count:)`).
    public private(set) var crossGram: [Double]?
    /// Σ x̃_j over the reference inputs, with `crossGram`.
    public private(set) var referenceSum: [Double]?
    /// max |x_j| (SmoothQuant, outlier detection).
    public private(set) var absMax: [Float]
    /// Up to `keepSampleRows` input rows, a uniform sample of all rows seen, rows × features.
    public private(set) var sampleRows: [Float] = []
    /// Why these statistics cannot be trusted (a non-finite input, a merge of different features), or nil.
    public private(set) var problem: String?
    private var random = SplitMix64(seed: 0x5eed_5a3d)

    /// Rows are summed into the Gram matrix in f32 chunks of at most this many (then added in f64), bounding the
    /// f32 accumulation to a few thousand terms.
    static let chunkRows = 2048
    /// Gram tiles are this many features square.
    static let gramTile = 256

    public init(features: Int, keepSampleRows: Int = 512) {
        self.init(features: features, keepSampleRows: keepSampleRows, keepGram: true)
    }

    /// Statistics without the features² Gram matrix when `keepGram` is false (for very wide inputs; GPTQ then throws).
    public init(features: Int, keepSampleRows: Int = 512, keepGram: Bool) {
        let (square, overflow) = max(features, 0).multipliedReportingOverflow(by: max(features, 0))
        self.features = max(features, 0)
        self.keepSampleRows = max(keepSampleRows, 0)
        keepsGram = keepGram && !overflow
        gram = [Double](repeating: 0, count: keepsGram ? square : 0)
        absSum = [Double](repeating: 0, count: self.features)
        sum = [Double](repeating: 0, count: self.features)
        absMax = [Float](repeating: 0, count: self.features)
        if features <= 0 { problem = "features must be positive, not \(features)" }
        if keepGram && overflow { problem = "\(features)² Gram entries overflow" }
    }

    /// The number of rows in `sampleRows`.
    public var sampleCount: Int { features == 0 ? 0 : sampleRows.count / features }

    /// Adds `count` rows of `features` floats (row-major). The Gram matrix is one BLAS product per chunk of rows.
    public mutating func accumulate(_ rows: UnsafePointer<Float>, count: Int) {
        guard count > 0, features > 0, problem == nil else {
            if count < 0 { problem = "accumulate was given \(count) rows" }
            return
        }
        if crossGram != nil {
            problem = "rows without reference rows were added to statistics that pair each row with its reference"
            return
        }
        accumulateOwn(rows, count: count)
    }

    /// Adds `count` rows and, row for row, the same tokens' inputs in the float reference model: the statistics then
    /// also hold Σ x̃ xᵀ and Σ x̃, so a layer can be fitted to the reference's outputs (GPTQ's `float_targets`).
    public mutating func accumulate(_ rows: UnsafePointer<Float>, reference: UnsafePointer<Float>, count: Int) {
        guard count > 0, features > 0, problem == nil else {
            if count < 0 { problem = "accumulate was given \(count) rows" }
            return
        }
        if crossGram == nil {
            guard tokens == 0 else {
                problem = "reference rows were added to statistics that began without them"
                return
            }
            let (square, overflow) = features.multipliedReportingOverflow(by: features)
            guard !overflow else { problem = "\(features)² cross entries overflow"; return }
            crossGram = [Double](repeating: 0, count: square)
            referenceSum = [Double](repeating: 0, count: features)
        }
        var scratch = [Float](repeating: 0, count: features * features)
        var start = 0
        while start < count {
            let chunk = min(Self.chunkRows, count - start)
            let x = rows + start * features, xr = reference + start * features
            scratch.withUnsafeMutableBufferPointer { s in
                guard let sp = s.baseAddress else { return }
                Kernels.sgemm(transposeA: true, m: features, n: features, k: chunk, a: xr, lda: features, b: x, ldb: features,
                              c: sp, ldc: features)
            }
            for i in 0..<scratch.count { crossGram?[i] += Double(scratch[i]) }
            for t in 0..<chunk {
                let row = xr + t * features
                for j in 0..<features { referenceSum?[j] += Double(row[j]) }
            }
            start += chunk
        }
        accumulateOwn(rows, count: count)
    }

    private mutating func accumulateOwn(_ rows: UnsafePointer<Float>, count: Int) {
        var scratch = [Float](repeating: 0, count: keepsGram ? features * features : 0)
        var start = 0
        while start < count {
            let chunk = min(Self.chunkRows, count - start)
            let x = rows + start * features
            if keepsGram {
                scratch.withUnsafeMutableBufferPointer { s in
                    guard let sp = s.baseAddress else { return }
                    // Tiles on and above the diagonal of Xᵀ (features, chunk) · X (chunk, features): a syrk's saving
                    // with the threaded GEMM (≈ 58% of the full product's work at 1536 features).
                    let tile = Self.gramTile
                    for i in stride(from: 0, to: features, by: tile) {
                        for j in stride(from: i, to: features, by: tile) {
                            Kernels.sgemm(transposeA: true, m: min(tile, features - i), n: min(tile, features - j),
                                          k: chunk, a: x + i, lda: features, b: x + j, ldb: features,
                                          c: sp + i * features + j, ldc: features)
                        }
                    }
                }
                // The upper triangle, mirrored: the threaded product need not round (i, j) and (j, i) alike.
                for i in 0..<features {
                    for j in i..<features {
                        let v = Double(scratch[i * features + j])
                        gram[i * features + j] += v
                        if j != i { gram[j * features + i] += v }
                    }
                }
            }
            for t in 0..<chunk {
                let row = x + t * features
                for j in 0..<features {
                    let a = abs(row[j])
                    sum[j] += Double(row[j])
                    absSum[j] += Double(a)
                    absMax[j] = max(absMax[j], a)
                }
                if problem == nil, let bad = (0..<features).first(where: { !row[$0].isFinite }) {
                    problem = "input value \(row[bad]) at token \(tokens + t), feature \(bad) is not finite"
                }
                sample(row, index: tokens + t)
            }
            tokens += chunk
            start += chunk
        }
    }

    /// Reservoir sampling (Vitter's algorithm R): row `index` (0-based over all rows seen) replaces a kept row with
    /// probability keep/(index + 1).
    private mutating func sample(_ row: UnsafePointer<Float>, index: Int) {
        guard keepSampleRows > 0 else { return }
        if index < keepSampleRows {
            sampleRows.append(contentsOf: UnsafeBufferPointer(start: row, count: features))
            return
        }
        let slot = Int(random.next() % UInt64(index + 1))
        guard slot < keepSampleRows else { return }
        for j in 0..<features { sampleRows[slot * features + j] = row[j] }
    }

    /// Merges statistics of the same input collected elsewhere. The kept rows become a sample of both, drawn in
    /// proportion to their token counts. Statistics of a different width set `problem` instead.
    public mutating func merge(_ other: InputStatistics) {
        guard other.features == features else {
            problem = problem ?? "merged statistics of \(other.features) features into \(features)"
            return
        }
        if problem == nil, let why = other.problem { problem = why }
        guard other.tokens > 0 else { return }
        if keepsGram {
            guard other.keepsGram else {
                problem = problem ?? "merged statistics without a Gram matrix into statistics with one"
                return
            }
            for i in 0..<gram.count { gram[i] += other.gram[i] }
        }
        switch (crossGram, other.crossGram, other.referenceSum) {
        case (nil, nil, _): break
        case (.some(var cross), .some(let more), .some(let moreSum)) where referenceSum != nil:
            for i in 0..<cross.count { cross[i] += more[i] }
            crossGram = cross
            for j in 0..<features { referenceSum?[j] += moreSum[j] }
        case (nil, .some, _) where tokens == 0:
            crossGram = other.crossGram
            referenceSum = other.referenceSum
        default:
            problem = problem ?? "merged statistics with and without reference rows"
            return
        }
        for j in 0..<features {
            absSum[j] += other.absSum[j]
            sum[j] += other.sum[j]
            absMax[j] = max(absMax[j], other.absMax[j])
        }
        let ours = sampleCount, theirs = other.sampleCount
        if ours + theirs <= keepSampleRows {
            sampleRows += other.sampleRows
        } else {
            let share = Double(tokens) / Double(tokens + other.tokens)
            let fromOurs = min(ours, max(keepSampleRows - theirs, Int((share * Double(keepSampleRows)).rounded())))
            let kept = pick(fromOurs, of: ours, rows: sampleRows)
                + pick(min(theirs, keepSampleRows - fromOurs), of: theirs, rows: other.sampleRows)
            sampleRows = kept
        }
        tokens += other.tokens
    }

    /// `k` distinct rows of `rows` (n × features) chosen uniformly (a partial Fisher–Yates shuffle).
    private mutating func pick(_ k: Int, of n: Int, rows: [Float]) -> [Float] {
        var order = Array(0..<n)
        var out: [Float] = []
        out.reserveCapacity(k * features)
        for i in 0..<k {
            order.swapAt(i, i + Int(random.next() % UInt64(n - i)))
            out += rows[(order[i] * features)..<((order[i] + 1) * features)]
        }
        return out
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood 2014), so sampling is reproducible.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
