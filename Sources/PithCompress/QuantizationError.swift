/// A model that cannot be quantized as asked; one line naming the layer or variable.
public struct QuantizationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
