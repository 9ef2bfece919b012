import Crypto
import Foundation
import PithFormats

/// Writes a package (GB/T 42382.2 §8.3.1): arrange the sections, code and encrypt each, hash them, then the headers,
/// then the signature; the file appears at its destination only when complete.
public struct PackageWriter {
    /// Where a section's original bytes come from.
    public enum Source {
        case bytes([UInt8])
        /// Bytes owned by someone else (a memory-mapped source file); `owner` keeps them alive.
        case borrowed(UnsafeRawBufferPointer, owner: AnyObject)

        var count: Int {
            switch self {
            case .bytes(let b): b.count
            case .borrowed(let b, _): b.count
            }
        }

        func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
            switch self {
            case .bytes(let b): try b.withUnsafeBytes(body)
            case .borrowed(let b, let owner): try withExtendedLifetime(owner) { try body(b) }
            }
        }
    }

    /// A section to write: its directory name (`Model/0/tensors.bin`, `Meta-info/managementinfo.json` …) and bytes.
    public struct Section {
        public var name: String
        public var source: Source
        public var coding: SectionCoding
        /// Whether it is encrypted when the package is (meta-information may stay readable: `encryptAlways == false`).
        public var encrypt: Bool
        /// For `.tensorCoding`: how to split the section into tensors and each tensor's type.
        public var tensorLayout: TensorLayout?

        public init(name: String, source: Source, coding: SectionCoding = .none, encrypt: Bool = true, tensorLayout: TensorLayout? = nil) {
            self.name = name
            self.source = source
            self.coding = coding
            self.encrypt = encrypt
            self.tensorLayout = tensorLayout
        }
    }

    /// One model of the package and the names of its sections.
    public struct ModelEntry {
        public var kind: ModelHeader.Kind
        public var structure: String
        public var tensorIndex: String
        public var tensorData: String
        public var tokenizer: String?
        public var config: String?
        public var sourceHeader: String?
        public var parameterCount: Int

        public init(kind: ModelHeader.Kind = .model, structure: String, tensorIndex: String, tensorData: String,
                    tokenizer: String? = nil, config: String? = nil, sourceHeader: String? = nil, parameterCount: Int) {
            self.kind = kind
            self.structure = structure
            self.tensorIndex = tensorIndex
            self.tensorData = tensorData
            self.tokenizer = tokenizer
            self.config = config
            self.sourceHeader = sourceHeader
            self.parameterCount = parameterCount
        }
    }

    public var sections: [Section] = []
    public var models: [ModelEntry] = []
    /// Ed25519 signing key; the package is signed when set.
    public var signingKey: Curve25519.Signing.PrivateKey?
    /// Section encryption; sections with `encrypt` are encrypted when set.
    public var encryption: PackageEncryption?
    /// For a residual update: the base package's header digest.
    public var baseDigest: [UInt8]?

    public init() {}

    /// Sizes of what was written, for reports.
    public struct Report: Sendable {
        public var fileSize = 0
        public var headerSize = 0
        /// name → (original, stored) bytes.
        public var sections: [(name: String, original: Int, stored: Int)] = []
        public var headerDigest: [UInt8] = []
    }

    public static let alignment = 64

    /// Writes the package to `url` atomically; `progress` gets each section's name as it starts.
    @discardableResult
    public func write(to url: URL, progress: ((String) -> Void)? = nil) throws -> Report {
        var sections = self.sections
        if let encryption {
            // The parameters a reader needs come first, readable without the key and covered by the hashes.
            let descriptor = try JSONEncoder().encode(encryption.descriptor)
            sections.insert(.init(name: PackageEncryption.descriptorSection, source: .bytes(Array(descriptor)), encrypt: false), at: 0)
        }
        try validate(sections)
        var entries = sections.map { SectionEntry(name: $0.name) }
        // The header region: file header, model table, section table, string table, header digest.
        var strings = ByteWriter()
        var nameOffsets: [Int] = []
        for s in sections {
            nameOffsets.append(strings.bytes.count)
            strings.raw(Array(s.name.utf8))
        }
        var header = FileHeader()
        header.modelCount = models.count
        header.sectionCount = sections.count
        header.modelTableOffset = FileHeader.size
        header.sectionTableOffset = header.modelTableOffset + models.count * ModelHeader.size
        header.stringTableOffset = header.sectionTableOffset + sections.count * SectionEntry.size
        header.stringTableSize = strings.bytes.count
        header.headerSize = header.stringTableOffset + header.stringTableSize + 32
        header.dataOffset = Self.aligned(header.headerSize)
        if let baseDigest { header.baseDigest = baseDigest; header.flags.insert(.residualUpdate) }

        let writer: AtomicFileWriter
        do { writer = try AtomicFileWriter(destination: url) } catch { throw PackageError.io("\(error)") }
        var report = Report()
        do {
            try writer.write([UInt8](repeating: 0, count: header.dataOffset))
            for (i, section) in sections.enumerated() {
                progress?(section.name)
                try writer.pad(to: Self.alignment)
                var entry = entries[i]
                entry.offset = writer.bytesWritten
                entry.originalSize = section.source.count
                let stored = try storedBytes(section, index: i, entry: &entry)
                try stored.withBytes { bytes in
                    entry.storedSize = bytes.count
                    entry.digest = Array(SHA256.hash(data: bytes))
                    try writer.write(bytes)
                }
                if entry.coding != .none { header.flags.insert(.compressed) }
                if entry.encryption != .none { header.flags.insert(.encrypted) }
                entries[i] = entry
                report.sections.append((section.name, entry.originalSize, entry.storedSize))
            }
            let dataEnd = writer.bytesWritten
            if signingKey != nil {
                header.flags.insert(.signed)
                header.signatureOffset = Self.aligned(dataEnd, to: 8)
                header.fileSize = header.signatureOffset + SignatureTrailer.size
            } else {
                header.fileSize = dataEnd
            }
            let region = try headerRegion(header, entries: entries, nameOffsets: nameOffsets, strings: strings.bytes)
            let digest = Array(region.suffix(32))
            try writer.overwrite(region, at: 0)
            if let signingKey {
                try writer.pad(to: 8)
                try writer.write(try SignatureTrailer.make(headerDigest: digest, key: signingKey).encoded())
            }
            try writer.commit()
            report.fileSize = header.fileSize
            report.headerSize = header.headerSize
            report.headerDigest = digest
        } catch let error as PackageError {
            writer.abort()
            throw error
        } catch {
            writer.abort()
            throw PackageError.io("\(url.path): \(error)")
        }
        return report
    }

    /// The header region with every table filled in and its digest at the end.
    func headerRegion(_ header: FileHeader, entries: [SectionEntry], nameOffsets: [Int], strings: [UInt8]) throws -> [UInt8] {
        var w = ByteWriter(capacity: header.headerSize)
        w.raw(header.encoded())
        let index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, UInt32($0)) })
        for (id, m) in models.enumerated() {
            var h = ModelHeader()
            h.modelID = UInt32(id)
            h.kind = m.kind
            func find(_ name: String?) -> UInt32 { name.flatMap { index[$0] } ?? ModelHeader.none }
            h.structureSection = find(m.structure)
            h.tensorIndexSection = find(m.tensorIndex)
            h.tensorDataSection = find(m.tensorData)
            h.tokenizerSection = find(m.tokenizer)
            h.configSection = find(m.config)
            h.sourceHeaderSection = find(m.sourceHeader)
            let graph = entries[Int(h.structureSection)], data = entries[Int(h.tensorDataSection)]
            h.graphOffset = graph.offset; h.graphSize = graph.storedSize
            h.dataOffset = data.offset; h.dataSize = data.storedSize
            h.compression = data.coding.rawValue
            h.encryption = data.encryption.rawValue
            h.parameterCount = m.parameterCount
            h.checksum = ModelHeader.checksum(of: h.sectionIndices, entries: entries)
            w.raw(h.encoded())
        }
        for (entry, offset) in zip(entries, nameOffsets) { w.raw(entry.encoded(nameOffset: offset)) }
        w.raw(strings)
        w.raw(Array(SHA256.hash(data: w.bytes)))
        return w.bytes
    }

    private func validate(_ sections: [Section]) throws {
        var seen = Set<String>()
        for s in sections {
            guard !s.name.isEmpty, s.name.utf8.count <= 1024, !s.name.hasPrefix("/"), !s.name.split(separator: "/").contains("..") else {
                throw PackageError.malformed("section '\(s.name)'", "names are relative paths without '..', at most 1024 bytes")
            }
            guard seen.insert(s.name).inserted else { throw PackageError.malformed("section '\(s.name)'", "appears twice") }
        }
        for m in models {
            for name in [m.structure, m.tensorIndex, m.tensorData] + [m.tokenizer, m.config, m.sourceHeader].compactMap({ $0 })
            where !seen.contains(name) {
                throw PackageError.missing("model section '\(name)' is not among the sections")
            }
        }
        guard sections.count < Int(UInt32.max), models.count < Int(UInt32.max) else { throw PackageError.malformed("package", "too many sections") }
    }

    /// Codes then encrypts a section's bytes, recording how in `entry`.
    private func storedBytes(_ section: Section, index: Int, entry: inout SectionEntry) throws -> Source {
        var current = section.source
        if section.coding != .none {
            let coded = try section.source.withBytes { try SectionCoder.encode($0, coding: section.coding, layout: section.tensorLayout) }
            // Keep the coding only when it pays.
            if coded.count < section.source.count {
                current = .bytes(coded)
                entry.coding = section.coding
            }
        }
        if section.encrypt, let encryption {
            let sealed = try current.withBytes { try encryption.seal($0, section: entry, index: UInt32(index)) }
            entry.encryption = .aes256GCMChunked
            entry.chunkSize = encryption.chunkSize
            current = .bytes(sealed)
        }
        return current
    }

    static func aligned(_ n: Int, to alignment: Int = PackageWriter.alignment) -> Int {
        (n + alignment - 1) / alignment * alignment
    }
}

extension ModelHeader {
    /// SHA-256 over the digests of the given sections (missing ones contribute 32 zero bytes).
    static func checksum(of indices: [UInt32], entries: [SectionEntry]) -> [UInt8] {
        var hasher = SHA256()
        for i in indices {
            if i != ModelHeader.none, Int(i) < entries.count { hasher.update(data: entries[Int(i)].digest) } else { hasher.update(data: [UInt8](repeating: 0, count: 32)) }
        }
        return Array(hasher.finalize())
    }
}
