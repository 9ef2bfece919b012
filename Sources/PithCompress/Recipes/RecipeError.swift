/// A recipe, a stage or a parameter that cannot be used; one line naming the file, the stage and the key.
public struct RecipeError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
