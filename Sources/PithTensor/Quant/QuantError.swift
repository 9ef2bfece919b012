/// A request to convert ggml blocks that cannot be met, described on one line naming the type.
public struct QuantError: Error, CustomStringConvertible, Sendable, Equatable {
    public let type: GGMLType
    public let fault: String

    public init(_ type: GGMLType, _ fault: String) {
        self.type = type
        self.fault = fault
    }

    public var description: String { "\(type.name): \(fault)" }
}
