import Testing
@testable import PithTensor

/// Double-precision factorizations of small, well-conditioned matrices.
let factorizationBudget = 1e-10
/// Single-precision SVD reconstruction relative to the largest entry.
let svdBudget: Float = 1e-4

func matmul(_ a: [Double], _ b: [Double], _ n: Int, transposeB: Bool = false) -> [Double] {
    var c = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { for k in 0..<n { c[i * n + j] += a[i * n + k] * (transposeB ? b[j * n + k] : b[k * n + j]) } } }
    return c
}

/// A = M·Mᵀ + n·I: symmetric positive definite.
func spd(_ n: Int, seed: UInt64) -> [Double] {
    var rng = SeededRandom(seed: seed)
    let m = rng.normals(n * n).map(Double.init)
    var a = matmul(m, m, n, transposeB: true)
    for i in 0..<n { a[i * n + i] += Double(n) }
    return a
}

@Test("Cholesky reconstructs A", arguments: [true, false])
func choleskyReconstructs(lower: Bool) throws {
    let n = 7
    let a = spd(n, seed: 21)
    var f = a
    try LinearAlgebra.cholesky(&f, n: n, lower: lower)
    // lower: A = L·Lᵀ; upper: A = Uᵀ·U
    let rebuilt = lower ? matmul(f, f, n, transposeB: true)
        : matmul((0..<(n * n)).map { f[($0 % n) * n + $0 / n] }, f, n)
    #expect(zip(rebuilt, a).allSatisfy { abs($0 - $1) <= factorizationBudget * 100 })
}

@Test func choleskyInverseInverts() throws {
    let n = 6
    let a = spd(n, seed: 22)
    var f = a
    try LinearAlgebra.cholesky(&f, n: n)
    try LinearAlgebra.choleskyInverse(&f, n: n)
    let identity = matmul(a, f, n)
    for i in 0..<n { for j in 0..<n { #expect(abs(identity[i * n + j] - (i == j ? 1 : 0)) <= factorizationBudget) } }
}

@Test func choleskyThrowsOnIndefinite() {
    var a: [Double] = [1, 2, 2, 1]  // eigenvalues 3 and -1
    #expect(throws: LinearAlgebra.Failure.notPositiveDefinite(order: 2)) { try LinearAlgebra.cholesky(&a, n: 2) }
}

@Test("SVD reconstructs A", arguments: [(5, 3), (3, 5), (4, 4)])
func svdReconstructs(rows: Int, cols: Int) throws {
    var rng = SeededRandom(seed: UInt64(rows * 10 + cols))
    let a = rng.normals(rows * cols)
    let (u, s, vt) = try LinearAlgebra.svd(a, rows: rows, cols: cols)
    let k = min(rows, cols)
    #expect(s.count == k && zip(s, s.dropFirst()).allSatisfy { $0 >= $1 })
    for i in 0..<rows {
        for j in 0..<cols {
            var v: Float = 0
            for p in 0..<k { v += u[i * k + p] * s[p] * vt[p * cols + j] }
            #expect(abs(v - a[i * cols + j]) <= svdBudget * 4)
        }
    }
}

@Test func symmetricEigenDecomposes() throws {
    let n = 5
    let a = spd(n, seed: 23)
    let (values, vectors) = try LinearAlgebra.symmetricEigen(a, n: n)
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
    for j in 0..<n {  // A·v_j = λ_j·v_j, v_j the j-th column
        for i in 0..<n {
            var av = 0.0
            for p in 0..<n { av += a[i * n + p] * vectors[p * n + j] }
            #expect(abs(av - values[j] * vectors[i * n + j]) <= factorizationBudget * 100)
        }
    }
}
