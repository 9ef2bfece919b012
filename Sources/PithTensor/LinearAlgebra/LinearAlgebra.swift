import COpenBLAS

/// LAPACK wrappers (LAPACKE, row-major) for the compression passes: Cholesky for GPTQ's inverse Hessian,
/// SVD for low-rank factoring, symmetric eigendecomposition for rotations and PCA.
public enum LinearAlgebra {
    /// Why a factorization failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The leading minor of this order (1-based) is not positive definite.
        case notPositiveDefinite(order: Int)
        /// The inverse does not exist: this diagonal entry (1-based) of the factor is zero.
        case singular(index: Int)
        /// The iterative algorithm did not converge (LAPACK info > 0).
        case didNotConverge(info: Int)
        /// LAPACK rejected argument number `index` (a bug in the caller's shapes).
        case illegalArgument(index: Int)

        public var description: String {
            switch self {
            case .notPositiveDefinite(let order): "matrix is not positive definite (leading minor of order \(order))"
            case .singular(let index): "matrix is singular (zero at diagonal entry \(index))"
            case .didNotConverge(let info): "LAPACK did not converge (info \(info))"
            case .illegalArgument(let index): "LAPACK rejected argument \(index)"
            }
        }
    }

    private static func uplo(_ lower: Bool) -> CChar { CChar(UInt8(ascii: lower ? "L" : "U")) }

    /// Factors a symmetric positive definite a (n, n) in place: A = L·Lᵀ (lower) or Uᵀ·U (upper).
    ///
    /// The other triangle is set to zero, so `a` holds exactly L (or U). Throws `notPositiveDefinite`.
    public static func cholesky(_ a: inout [Double], n: Int, lower: Bool = true) throws {
        precondition(a.count == n * n, "cholesky: \(a.count) values for a \(n)×\(n) matrix")
        let info = a.withUnsafeMutableBufferPointer { buffer in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, uplo(lower), Int32(n), buffer.baseAddress, Int32(n))
        }
        if info > 0 { throw Failure.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw Failure.illegalArgument(index: Int(-info)) }
        for i in 0..<n {
            for j in 0..<n where lower ? j > i : j < i { a[i * n + j] = 0 }
        }
    }

    /// Replaces a Cholesky factor (from `cholesky`, same `lower`) of A with A⁻¹, both triangles filled.
    ///
    /// GPTQ uses it as H⁻¹ = choleskyInverse(cholesky(H)), then factors H⁻¹ again.
    public static func choleskyInverse(_ factor: inout [Double], n: Int, lower: Bool = true) throws {
        precondition(factor.count == n * n, "choleskyInverse: \(factor.count) values for a \(n)×\(n) matrix")
        let info = factor.withUnsafeMutableBufferPointer { buffer in
            LAPACKE_dpotri(LAPACK_ROW_MAJOR, uplo(lower), Int32(n), buffer.baseAddress, Int32(n))
        }
        if info > 0 { throw Failure.singular(index: Int(info)) }
        if info < 0 { throw Failure.illegalArgument(index: Int(-info)) }
        for i in 0..<n {  // mirror the computed triangle
            for j in 0..<i {
                if lower { factor[j * n + i] = factor[i * n + j] } else { factor[i * n + j] = factor[j * n + i] }
            }
        }
    }

    /// Solves A·X = B for a symmetric positive definite a (n, n) and b (n, columns), both row-major; b becomes X.
    /// Only the upper triangle of a is read. Throws `notPositiveDefinite`.
    public static func solveSymmetric(_ a: [Double], n: Int, _ b: inout [Double], columns: Int) throws {
        precondition(a.count == n * n && b.count == n * columns, "solveSymmetric: shapes do not match \(n)×\(n), \(n)×\(columns)")
        var factor = a
        let info = factor.withUnsafeMutableBufferPointer { f in
            b.withUnsafeMutableBufferPointer { x in
                LAPACKE_dposv(LAPACK_ROW_MAJOR, uplo(false), Int32(n), Int32(columns), f.baseAddress, Int32(n),
                              x.baseAddress, Int32(columns))
            }
        }
        if info > 0 { throw Failure.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw Failure.illegalArgument(index: Int(-info)) }
    }

    /// Thin SVD of a (rows, cols): a = u · diag(s) · vt, u (rows, k), s (k) descending, vt (k, cols), k = min(rows, cols).
    public static func svd(_ a: [Float], rows: Int, cols: Int) throws -> (u: [Float], s: [Float], vt: [Float]) {
        precondition(a.count == rows * cols, "svd: \(a.count) values for a \(rows)×\(cols) matrix")
        let k = min(rows, cols)
        var work = a
        var u = [Float](repeating: 0, count: rows * k)
        var s = [Float](repeating: 0, count: k)
        var vt = [Float](repeating: 0, count: k * cols)
        let info = work.withUnsafeMutableBufferPointer { w in
            u.withUnsafeMutableBufferPointer { ub in
                s.withUnsafeMutableBufferPointer { sb in
                    vt.withUnsafeMutableBufferPointer { vb in
                        LAPACKE_sgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), Int32(rows), Int32(cols),
                                       w.baseAddress, Int32(cols), sb.baseAddress, ub.baseAddress, Int32(k),
                                       vb.baseAddress, Int32(cols))
                    }
                }
            }
        }
        if info > 0 { throw Failure.didNotConverge(info: Int(info)) }
        if info < 0 { throw Failure.illegalArgument(index: Int(-info)) }
        return (u, s, vt)
    }

    /// Eigendecomposition of a symmetric a (n, n): values ascending; vectors (n, n) row-major with
    /// column j the unit eigenvector of values[j]. Only the lower triangle of a is read.
    public static func symmetricEigen(_ a: [Double], n: Int) throws -> (values: [Double], vectors: [Double]) {
        precondition(a.count == n * n, "symmetricEigen: \(a.count) values for a \(n)×\(n) matrix")
        var vectors = a
        var values = [Double](repeating: 0, count: n)
        let info = vectors.withUnsafeMutableBufferPointer { v in
            values.withUnsafeMutableBufferPointer { w in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), uplo(true), Int32(n),
                               v.baseAddress, Int32(n), w.baseAddress)
            }
        }
        if info > 0 { throw Failure.didNotConverge(info: Int(info)) }
        if info < 0 { throw Failure.illegalArgument(index: Int(-info)) }
        return (values, vectors)
    }
}
