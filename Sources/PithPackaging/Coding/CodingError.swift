/// A fault while compressing or decoding compact data, described on one line.
public struct CodingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of fault, for callers that branch on it; `message` carries the detail.
    public enum Kind: Sendable, Equatable {
        /// The coded bytes end before a structure they announce.
        case truncated
        /// The coded bytes contradict themselves or the format (bad magic, bad table, bad checksum of states …).
        case corrupt
        /// A format version or feature this build does not read.
        case unsupported
        /// The coded bytes disagree with what the caller declared (type, original size).
        case mismatch
        /// The input to an encoder is not acceptable (e.g. not whole blocks of its type).
        case invalidInput
        /// libzstd reported an error.
        case zstd
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
