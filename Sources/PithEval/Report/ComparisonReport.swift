import Foundation

/// Models compared with a base on one text: the rows `pith compare` writes and `pith report` renders.
///
/// The JSON schema is shared with other tools (a script that runs llama.cpp can write rows of its own): snake_case
/// keys, every optional field written as `null` when unknown and accepted when absent.
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// The text scored (its path).
    public var text: String
    /// Tokens per chunk.
    public var context: Int
    /// Chunks scored.
    public var chunks: Int
    public var base: ComparisonRow
    public var rows: [ComparisonRow]

    public init(text: String, context: Int, chunks: Int, base: ComparisonRow, rows: [ComparisonRow]) {
        self.text = text
        self.context = context
        self.chunks = chunks
        self.base = base
        self.rows = rows
    }

    /// The base, then the other rows.
    public var allRows: [ComparisonRow] { [base] + rows }
}

/// One model's figures. Every measurement is optional, so a row measured elsewhere fills what it has.
public struct ComparisonRow: Codable, Sendable, Equatable {
    public var name: String
    /// Who produced the model and measured it: "pith", "llama.cpp", or another tool's name.
    public var tool: String
    /// How it was made: "base", "rtn", "gptq", "awq", "nf4", "w8a8", "fp8", "Q4_K_M" …
    public var method: String
    /// Its file or folder.
    public var source: String
    public var parameters: Int?
    /// Stored bits of all parameters ÷ parameter elements.
    public var bitsPerWeight: Double?
    public var sizeBytes: Int?
    public var perplexity: Double?
    /// perplexity − the base's perplexity.
    public var perplexityDelta: Double?
    /// Mean and 99th percentile of KL(P_base ‖ P_this) per scored token (nats).
    public var klMean: Double?
    public var klP99: Double?
    /// Fraction of scored tokens whose argmax equals the base's.
    public var top1Agreement: Double?
    public var quantizeSeconds: Double?
    public var promptTokensPerSecond: Double?
    public var generationTokensPerSecond: Double?
    public var notes: String?

    public init(name: String, tool: String = "pith", method: String, source: String, parameters: Int? = nil,
                bitsPerWeight: Double? = nil, sizeBytes: Int? = nil, perplexity: Double? = nil, perplexityDelta: Double? = nil,
                klMean: Double? = nil, klP99: Double? = nil, top1Agreement: Double? = nil, quantizeSeconds: Double? = nil,
                promptTokensPerSecond: Double? = nil, generationTokensPerSecond: Double? = nil, notes: String? = nil) {
        self.name = name
        self.tool = tool
        self.method = method
        self.source = source
        self.parameters = parameters
        self.bitsPerWeight = bitsPerWeight
        self.sizeBytes = sizeBytes
        self.perplexity = perplexity
        self.perplexityDelta = perplexityDelta
        self.klMean = klMean
        self.klP99 = klP99
        self.top1Agreement = top1Agreement
        self.quantizeSeconds = quantizeSeconds
        self.promptTokensPerSecond = promptTokensPerSecond
        self.generationTokensPerSecond = generationTokensPerSecond
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, tool, method, source, parameters
        case bitsPerWeight = "bits_per_weight", sizeBytes = "size_bytes"
        case perplexity, perplexityDelta = "perplexity_delta"
        case klMean = "kl_mean", klP99 = "kl_p99", top1Agreement = "top1_agreement"
        case quantizeSeconds = "quantize_seconds"
        case promptTokensPerSecond = "prompt_tokens_per_second", generationTokensPerSecond = "generation_tokens_per_second"
        case notes
    }

    /// Writes every key, unknown values as `null`, so a reader sees the whole schema in every row.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(tool, forKey: .tool)
        try c.encode(method, forKey: .method)
        try c.encode(source, forKey: .source)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(bitsPerWeight, forKey: .bitsPerWeight)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(perplexity, forKey: .perplexity)
        try c.encode(perplexityDelta, forKey: .perplexityDelta)
        try c.encode(klMean, forKey: .klMean)
        try c.encode(klP99, forKey: .klP99)
        try c.encode(top1Agreement, forKey: .top1Agreement)
        try c.encode(quantizeSeconds, forKey: .quantizeSeconds)
        try c.encode(promptTokensPerSecond, forKey: .promptTokensPerSecond)
        try c.encode(generationTokensPerSecond, forKey: .generationTokensPerSecond)
        try c.encode(notes, forKey: .notes)
    }
}
