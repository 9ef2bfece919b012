/// Settings of GPTQ; decoded from recipes with snake_case keys, each optional.
public struct GPTQOptions: Codable, Sendable, Equatable {
    /// λ: H += λ · mean(diag H) · I before inverting (raised ×10 up to three times if Cholesky fails).
    public var dampening: Double = 0.01
    /// Columns per lazy batch update.
    public var blockSize: Int = 128
    /// Process columns by descending diag(H) (activation order).
    public var actOrder: Bool = true
    /// Group scales from the original weights before any update (true), or from the updated weights when a group's
    /// first column is reached (false: GPTQ's original behaviour, usually a little better without act-order).
    public var staticGroups: Bool = true
    /// The layer has a bias that absorbs the mean output error: fit the centred inputs (`GPTQObjective`).
    public var centered: Bool = false
    /// Fit the float model's outputs from the quantized model's inputs (needs statistics with reference inputs).
    public var floatTargets: Bool = false
    /// Static groups' ranges shrunk by the factor of `RTN.clipGrid` with the least diag(H)-weighted error.
    public var clipSearch: Bool = false

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dampening
        case blockSize = "block_size"
        case actOrder = "act_order"
        case staticGroups = "static_groups"
        case centered
        case floatTargets = "float_targets"
        case clipSearch = "clip_search"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dampening = try c.decodeIfPresent(Double.self, forKey: .dampening) ?? dampening
        blockSize = try c.decodeIfPresent(Int.self, forKey: .blockSize) ?? blockSize
        actOrder = try c.decodeIfPresent(Bool.self, forKey: .actOrder) ?? actOrder
        staticGroups = try c.decodeIfPresent(Bool.self, forKey: .staticGroups) ?? staticGroups
        centered = try c.decodeIfPresent(Bool.self, forKey: .centered) ?? centered
        floatTargets = try c.decodeIfPresent(Bool.self, forKey: .floatTargets) ?? floatTargets
        clipSearch = try c.decodeIfPresent(Bool.self, forKey: .clipSearch) ?? clipSearch
        try validate()
    }

    /// Throws naming the first key out of range.
    public func validate() throws {
        guard dampening.isFinite, dampening >= 0 else {
            throw QuantizationError("gptq: dampening must be a finite value ≥ 0, not \(dampening)")
        }
        guard blockSize > 0 else { throw QuantizationError("gptq: block_size must be positive, not \(blockSize)") }
    }
}
