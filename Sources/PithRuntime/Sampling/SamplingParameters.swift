// MARK: - Sampling parameters

/// The knobs of token selection, as a `Codable` configuration with snake_case keys and defaults.
public struct SamplingParameters: Codable, Sendable, Equatable {
    /// Softmax temperature; 0 selects greedy decoding.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; 0 disables the filter.
    public var topK: Int
    /// Keep the smallest set of tokens whose probability mass reaches `topP`; 1 disables the filter.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; 0 disables the filter.
    public var minP: Float
    /// Divides positive and multiplies negative logits of recent tokens (llama.cpp / transformers); 1 disables it.
    public var repetitionPenalty: Float
    /// How many of the most recent tokens the repetition penalty looks at; 0 means all of them.
    public var repetitionWindow: Int
    /// Seed of the random generator; `nil` draws one from the system.
    public var seed: UInt64?

    /// Creates parameters; every argument defaults to the llama.cpp-like defaults.
    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0,
        repetitionPenalty: Float = 1.0, repetitionWindow: Int = 64, seed: UInt64? = nil
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    /// Deterministic argmax decoding with every filter and penalty off.
    public static let greedy = SamplingParameters(temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1)

    /// Returns `self` if every parameter is in range, or throws naming the first one that is not.
    public func validated() throws -> SamplingParameters {
        func check(_ ok: Bool, _ name: String, _ value: any CustomStringConvertible, _ rule: String) throws {
            if !ok { throw InvalidSamplingParameter(name: name, value: value.description, rule: rule) }
        }
        // `x >= 0` is false for NaN, so each check also rejects NaN.
        try check(temperature >= 0 && temperature.isFinite, "temperature", temperature, "must be finite and ≥ 0")
        try check(topK >= 0, "top_k", topK, "must be ≥ 0")
        try check(topP > 0 && topP <= 1, "top_p", topP, "must be in (0, 1]")
        try check(minP >= 0 && minP <= 1, "min_p", minP, "must be in [0, 1]")
        try check(repetitionPenalty > 0 && repetitionPenalty.isFinite,
                  "repetition_penalty", repetitionPenalty, "must be finite and > 0")
        try check(repetitionWindow >= 0, "repetition_window", repetitionWindow, "must be ≥ 0")
        return self
    }

    // MARK: Codable

    enum CodingKeys: String, CodingKey {
        case temperature, seed
        case topK = "top_k", topP = "top_p", minP = "min_p"
        case repetitionPenalty = "repetition_penalty", repetitionWindow = "repetition_window"
    }

    /// Decodes from a partial JSON object: missing keys take their defaults, unknown keys are ignored.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SamplingParameters()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repetitionPenalty = try c.decodeIfPresent(Float.self, forKey: .repetitionPenalty) ?? d.repetitionPenalty
        repetitionWindow = try c.decodeIfPresent(Int.self, forKey: .repetitionWindow) ?? d.repetitionWindow
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
    }
}

// MARK: - Errors

/// A sampling parameter outside its range; its description is one line naming the parameter.
public struct InvalidSamplingParameter: Error, Equatable, CustomStringConvertible {
    /// The parameter's configuration key, e.g. `top_p`.
    public var name: String
    /// The rejected value, as text.
    public var value: String
    /// The range the value must lie in.
    public var rule: String

    public var description: String { "invalid sampling parameter \(name) = \(value): \(rule)" }
}
