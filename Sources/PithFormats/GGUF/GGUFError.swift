/// A fault in a GGUF file (or in a request to write one), described on one line: "<path>: <fault>".
public struct GGUFError: Error, CustomStringConvertible, Sendable {
    /// What kind of fault, for callers that branch on it; the description carries the detail.
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened, mapped, created or written.
        case io
        /// The file ends before a structure it announces.
        case truncated
        /// The first four bytes are not "GGUF".
        case badMagic
        /// A version this reader does not read (only 2 and 3 are read).
        case unsupportedVersion
        /// A metadata key or value is malformed.
        case invalidMetadata
        /// A tensor description, or the place of its data, is malformed.
        case invalidTensor
        /// A writer was used out of order or given inconsistent input.
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
