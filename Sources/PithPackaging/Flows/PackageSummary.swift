import Foundation

/// What `pith inspect PACKAGE` shows: the file header, each model header, every section with its coding, encryption,
/// sizes and SHA-256, the signature, and the Meta-info documents — all readable without the key.
public struct PackageSummary: Encodable, Sendable {
    public struct Header: Encodable, Sendable {
        public let formatVersion: String
        public let flags: [String]
        public let headerSize: Int
        public let dataOffset: Int
        public let fileSize: Int
        public let headerDigest: String
        public let baseDigest: String?
        enum CodingKeys: String, CodingKey {
            case flags, formatVersion = "format_version", headerSize = "header_size", dataOffset = "data_offset"
            case fileSize = "file_size", headerDigest = "header_digest", baseDigest = "base_digest"
        }
    }
    public struct Model: Encodable, Sendable {
        public let id: Int
        public let kind: String
        public let parameters: Int
        public let graph: Extent
        public let data: Extent
        public let compression: String
        public let encryption: String
        public let checksum: String
        public let sections: [String]
    }
    public struct Extent: Encodable, Sendable { public let offset: Int; public let size: Int }
    public struct Section: Encodable, Sendable {
        public let name: String
        public let offset: Int
        public let storedSize: Int
        public let originalSize: Int
        public let coding: String
        public let encryption: String
        public let sha256: String
        enum CodingKeys: String, CodingKey {
            case name, offset, coding, encryption, sha256
            case storedSize = "stored_size", originalSize = "original_size"
        }
    }
    public struct Signature: Encodable, Sendable { public let algorithm: String; public let fingerprint: String; public let publicKey: String
        enum CodingKeys: String, CodingKey { case algorithm, fingerprint, publicKey = "public_key" } }

    public let file: String
    public let header: Header
    public let models: [Model]
    public let sections: [Section]
    public let signature: Signature?
    /// Meta-info/*.json, parsed, when readable.
    public let metaInfo: [String: String]

    enum CodingKeys: String, CodingKey { case file, header, models, sections, signature, metaInfo = "meta_info" }

    public init(_ reader: PackageReader) {
        let h = reader.header
        var flags: [String] = []
        if h.flags.contains(.encrypted) { flags.append("encrypted") }
        if h.flags.contains(.signed) { flags.append("signed") }
        if h.flags.contains(.compressed) { flags.append("compressed") }
        if h.flags.contains(.residualUpdate) { flags.append("residual-update") }
        file = reader.url.path
        header = Header(formatVersion: "\(h.major).\(h.minor)", flags: flags, headerSize: h.headerSize, dataOffset: h.dataOffset,
                        fileSize: h.fileSize, headerDigest: hex(reader.headerDigest),
                        baseDigest: h.flags.contains(.residualUpdate) ? hex(h.baseDigest) : nil)
        models = reader.models.enumerated().map { i, m in
            Model(id: Int(m.modelID), kind: m.kind.name, parameters: m.parameterCount,
                  graph: Extent(offset: m.graphOffset, size: m.graphSize), data: Extent(offset: m.dataOffset, size: m.dataSize),
                  compression: SectionCoding(rawValue: m.compression)?.name ?? "?", encryption: SectionEncryption(rawValue: m.encryption)?.name ?? "?",
                  checksum: hex(m.checksum),
                  sections: m.sectionIndices.filter { $0 != ModelHeader.none }.map { reader.sections[Int($0)].name })
        }
        sections = reader.sections.map { e in
            Section(name: e.name, offset: e.offset, storedSize: e.storedSize, originalSize: e.originalSize,
                    coding: e.coding.name, encryption: e.encryption.name, sha256: hex(e.digest))
        }
        signature = reader.signature.map { Signature(algorithm: "Ed25519", fingerprint: $0.fingerprint, publicKey: hex($0.publicKey)) }
        var meta: [String: String] = [:]
        for (i, e) in reader.sections.enumerated() where e.name.hasPrefix("Meta-info/") && e.encryption == .none {
            if let data = try? reader.section(i) { meta[e.name] = String(decoding: data.array, as: UTF8.self) }
        }
        metaInfo = meta
    }
}
