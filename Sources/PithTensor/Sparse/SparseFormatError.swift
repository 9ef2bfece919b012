/// Why bytes or a dense matrix cannot become a `SparseMatrix`, in one line.
public enum SparseFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The scheme cannot store this shape (N:M with cols not a multiple of M, int4 without a group …).
    case unsupported(String)
    /// The buffer is shorter than its header says it must be.
    case truncated(needed: Int, available: Int)
    /// A header field is invalid (magic, version, codes, sizes that overflow or disagree).
    case badHeader(String)
    /// Section contents are inconsistent (indices out of range or unsorted, row pointers that decrease, …).
    case badData(String)
    /// A dense matrix does not follow the requested pattern (more than N nonzeros in an N:M group, non-finite values
    /// for an integer format).
    case pattern(String)

    public var description: String {
        switch self {
        case .unsupported(let why): "sparse scheme: \(why)"
        case .truncated(let needed, let available): "sparse weight: truncated, \(needed) bytes needed, \(available) available"
        case .badHeader(let why): "sparse weight header: \(why)"
        case .badData(let why): "sparse weight data: \(why)"
        case .pattern(let why): "sparse encode: \(why)"
        }
    }
}
