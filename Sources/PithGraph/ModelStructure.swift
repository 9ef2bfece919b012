/// The model structure: everything about a model except its weight bytes (GB/T 42382.2 §6.1, Table 1).
public struct ModelStructure: Codable, Sendable, Equatable {
    /// The family of transformer the graphs implement.
    public enum Family: String, Codable, Sendable {
        case encoderOnly = "encoder-only"
        case decoderOnly = "decoder-only"
        case encoderDecoder = "encoder-decoder"
    }

    /// Version of the serialized representation this build writes (docs/REPRESENTATION.md, "Versioning").
    ///
    /// 1.0: the standard's Tables 1–3. 1.1: optional `name` and `role` on computation graphs.
    /// Readers accept any 1.x and refuse a newer major version.
    public static let formatVersion = "1.1"

    public var formatVersion: String
    public var name: String
    public var version: String
    /// The architecture, e.g. "llama" or "bert".
    public var architecture: String
    public var family: Family
    /// Where the model came from (a file name, a hub id).
    public var origin: String
    public var graphs: [ComputationGraph]
    /// Architecture hyper-parameters and provenance, as strings (e.g. "hidden_size": "576").
    public var metadata: [String: String]

    public init(name: String, version: String = "1", architecture: String, family: Family, origin: String,
                graphs: [ComputationGraph], metadata: [String: String] = [:]) {
        self.formatVersion = Self.formatVersion
        self.name = name
        self.version = version
        self.architecture = architecture
        self.family = family
        self.origin = origin
        self.graphs = graphs
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case name, version, architecture, family, origin, graphs, metadata
        case formatVersion = "format_version"
    }

    /// The main graph (parent -1); the first graph when several claim it.
    public var mainGraph: ComputationGraph? {
        graphs.first { $0.parentGraphID == -1 }
    }
}
