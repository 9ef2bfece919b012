import Foundation
import PithTensor

/// A real number type the gradient engine computes in: `Float` for training, `Double` for the reference path.
///
/// Every rule is written once, generically, so the same code that trains in f32 is checked against central finite
/// differences in f64, where a relative error of 1e-6 is meaningful (in f32 the differences themselves are noise).
public protocol TrainScalar: BinaryFloatingPoint, Sendable {
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    /// The error function (GELU's Φ(x) = ½(1 + erf(x/√2))).
    static func erf(_ x: Self) -> Self

    /// C (m, n) = op(A) · op(B) + beta · C, row-major; op(A) is (m, k), op(B) is (k, n).
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// f32 values (decoded weights) in this type.
    static func converting(_ values: [Float]) -> [Self]
}

extension Float: TrainScalar {
    public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    public static func log(_ x: Float) -> Float { Foundation.log(x) }
    public static func tanh(_ x: Float) -> Float { Foundation.tanh(x) }
    public static func erf(_ x: Float) -> Float { Float(Foundation.erf(Double(x))) }

    /// Through OpenBLAS (the tensor core's SGEMM, split over the shared thread pool).
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        Kernels.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    public static func converting(_ values: [Float]) -> [Float] { values }
}

extension Double: TrainScalar {
    public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    public static func log(_ x: Double) -> Double { Foundation.log(x) }
    public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    public static func erf(_ x: Double) -> Double { Foundation.erf(x) }

    /// Plain loops: the f64 path is the reference for small checks, not a fast path.
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += x * y
                }
                c[i * ldc + j] = beta == 0 ? sum : sum + beta * c[i * ldc + j]
            }
        }
    }

    public static func converting(_ values: [Float]) -> [Double] { values.map(Double.init) }
}
