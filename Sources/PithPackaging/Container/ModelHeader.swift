/// One model's header (GB/T 42382.2 §8.2.2, Table 59), 128 bytes: its kind, the sections that hold it, where its
/// graph and tensor data lie, how they are coded, and a checksum over its sections' digests.
///
/// Layout: model_id u32 · kind u32 · structure u32 · tensor_index u32 · tensor_data u32 · tokenizer u32 · config u32 ·
/// source_header u32 · graph_offset u64 · graph_size u64 · data_offset u64 · data_size u64 · compression u8 ·
/// encryption u8 · reserved[6] · parameter_count u64 · reserved[16] · checksum[32] (section indices: 0xFFFFFFFF = none)
public struct ModelHeader: Equatable, Sendable {
    public static let size = 128
    public static let none = UInt32.max

    /// What the model is within a package that holds several (e.g. the encoder and decoder of one system).
    public enum Kind: UInt32, Sendable, CaseIterable {
        case model = 0, encoder = 1, decoder = 2, adapter = 3
        public var name: String { ["model", "encoder", "decoder", "adapter"][Int(rawValue)] }
    }

    public var modelID: UInt32 = 0
    public var kind: Kind = .model
    /// Section indices.
    public var structureSection: UInt32 = ModelHeader.none
    public var tensorIndexSection: UInt32 = ModelHeader.none
    public var tensorDataSection: UInt32 = ModelHeader.none
    public var tokenizerSection: UInt32 = ModelHeader.none
    public var configSection: UInt32 = ModelHeader.none
    /// The source file's own header (GGUF key–values and tensor table, or a safetensors JSON header), kept so that
    /// unpacking to the source format gives the original file byte for byte.
    public var sourceHeaderSection: UInt32 = ModelHeader.none
    public var graphOffset = 0, graphSize = 0
    public var dataOffset = 0, dataSize = 0
    /// The tensor data's section coding (`SectionCoding` raw values).
    public var compression: UInt8 = 0
    public var encryption: UInt8 = 0
    public var parameterCount = 0
    /// SHA-256 over the digests of the model's sections, in the order above.
    public var checksum = [UInt8](repeating: 0, count: 32)

    var sectionIndices: [UInt32] {
        [structureSection, tensorIndexSection, tensorDataSection, tokenizerSection, configSection, sourceHeaderSection]
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.u32(modelID); w.u32(kind.rawValue)
        for s in sectionIndices { w.u32(s) }
        w.u64(UInt64(graphOffset)); w.u64(UInt64(graphSize)); w.u64(UInt64(dataOffset)); w.u64(UInt64(dataSize))
        w.u8(compression); w.u8(encryption); w.zeros(6)
        w.u64(UInt64(parameterCount))
        w.zeros(16)
        w.raw(checksum)
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int) throws -> ModelHeader {
        let what = "model header \(index)"
        var r = ByteReader(bytes, at: offset, what: what)
        var h = ModelHeader()
        h.modelID = try r.u32()
        let kind = try r.u32()
        guard let k = Kind(rawValue: kind) else { throw PackageError.malformed(what, "unknown model kind \(kind)") }
        h.kind = k
        h.structureSection = try r.u32()
        h.tensorIndexSection = try r.u32()
        h.tensorDataSection = try r.u32()
        h.tokenizerSection = try r.u32()
        h.configSection = try r.u32()
        h.sourceHeaderSection = try r.u32()
        h.graphOffset = try r.size("graph_offset"); h.graphSize = try r.size("graph_size")
        h.dataOffset = try r.size("data_offset"); h.dataSize = try r.size("data_size")
        h.compression = try r.u8(); h.encryption = try r.u8()
        try r.skip(6)
        h.parameterCount = try r.size("parameter_count")
        try r.skip(16)
        h.checksum = try r.raw(32)
        return h
    }
}
