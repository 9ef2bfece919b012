extension GGUFFile {
    /// The metadata value at `key` as an integer, when it is one that fits in `Int`.
    public func int(_ key: String) -> Int? { metadata[key]?.int }

    /// The metadata value at `key` as a number (integers included).
    public func double(_ key: String) -> Double? { metadata[key]?.double }

    /// The metadata value at `key` when it is a string.
    public func string(_ key: String) -> String? { metadata[key]?.string }

    /// The metadata value at `key` when it is a bool.
    public func bool(_ key: String) -> Bool? { metadata[key]?.bool }

    /// The metadata value at `key` when it is an array.
    public func array(_ key: String) -> [GGUFValue]? { metadata[key]?.array }

    /// The metadata value at `key` when it is an array of strings.
    public func strings(_ key: String) -> [String]? { metadata[key]?.strings }

    /// The metadata value at `key` when it is an array of integers.
    public func ints(_ key: String) -> [Int]? { metadata[key]?.ints }

    /// The metadata value at `key` when it is an array of numbers.
    public func floats(_ key: String) -> [Float]? { metadata[key]?.floats }

    /// `general.architecture`, the prefix of the model's hyperparameter keys (e.g. "llama").
    public var architecture: String? { string("general.architecture") }

    /// A hyperparameter under the architecture prefix, e.g. `architectureInt("block_count")` reads `llama.block_count`.
    public func architectureInt(_ suffix: String) -> Int? {
        architecture.flatMap { int("\($0).\(suffix)") }
    }
}
