import PithTensor

/// The values of a model's parameter variables, by variable name.
public struct Weights: @unchecked Sendable {
    public private(set) var tensors: [String: TensorData] = [:]

    public init() {}

    public subscript(name: String) -> TensorData? {
        get { tensors[name] }
        set { tensors[name] = newValue }
    }

    /// Total stored bytes.
    public var byteCount: Int { tensors.values.reduce(0) { $0 + $1.count } }
}
