/// Why an evaluation could not run: one line, naming the file or the setting at fault.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
