/// A fault in a safetensors file, index or write request, described on one line: "<path>: <fault>".
public struct SafetensorsError: Error, CustomStringConvertible, Sendable {
    /// What kind of fault, for callers that branch on it; the description carries the detail.
    public enum Kind: Sendable, Equatable {
        /// A file could not be opened, mapped, created or written.
        case io
        /// The file ends before the header it announces.
        case truncated
        /// The header length, JSON or `__metadata__` is malformed.
        case invalidHeader
        /// A tensor entry (dtype, shape, offsets) is malformed or overlaps another.
        case invalidTensor
        /// A file the index or folder names is missing, or a tensor is not where the index says.
        case missing
        /// A write request is inconsistent.
        case invalidUse
    }

    public let path: String
    public let kind: Kind
    public let fault: String

    public init(path: String, kind: Kind, _ fault: String) {
        self.path = path
        self.kind = kind
        self.fault = fault
    }

    public var description: String { "\(path): \(fault)" }
}
