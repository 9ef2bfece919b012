/// Why a graph cannot be differentiated, or a batch, loss or optimizer step cannot run; one line naming the culprit.
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
