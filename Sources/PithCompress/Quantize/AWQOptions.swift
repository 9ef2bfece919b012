/// Settings of AWQ's scale search; decoded from recipes with snake_case keys, each optional.
public struct AWQOptions: Codable, Sendable, Equatable {
    /// Exponents α = 0, 1/grid … (grid − 1)/grid are tried.
    public var grid: Int = 20
    /// Whether the pass runs `AWQ.clip` on each scaled weight before rounding it (searchScales itself does not clip).
    public var clipSearch: Bool = true
    /// Sample rows used for the loss when the statistics carry no Gram matrix (with one, every token counts).
    public var maxSampleRows: Int = 512

    public init() {}

    enum CodingKeys: String, CodingKey {
        case grid
        case clipSearch = "clip_search"
        case maxSampleRows = "max_sample_rows"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        grid = try c.decodeIfPresent(Int.self, forKey: .grid) ?? grid
        clipSearch = try c.decodeIfPresent(Bool.self, forKey: .clipSearch) ?? clipSearch
        maxSampleRows = try c.decodeIfPresent(Int.self, forKey: .maxSampleRows) ?? maxSampleRows
        try validate()
    }

    /// Throws naming the first key out of range.
    public func validate() throws {
        guard grid > 0 else { throw QuantizationError("awq: grid must be positive, not \(grid)") }
        guard maxSampleRows > 0 else { throw QuantizationError("awq: max_sample_rows must be positive, not \(maxSampleRows)") }
    }
}
