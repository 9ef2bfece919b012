import Crypto
import Foundation
import PithTensor

/// Opens a package read-only and memory-mapped (§8.3.2). Opening checks the whole layout — magic, version, every
/// offset and size against the file, sections in order without overlap, the header digest, the signature trailer's
/// validity — so later reads can trust the tables. Section contents are checked against their SHA-256 by `verify`
/// and when a section is read.
public final class PackageReader: @unchecked Sendable {
    public let url: URL
    public let file: MappedFile
    public let header: FileHeader
    public let models: [ModelHeader]
    public let sections: [SectionEntry]
    /// SHA-256 of the header region (the last 32 bytes of it): names this package, e.g. as a residual update's base.
    public let headerDigest: [UInt8]
    public let signature: SignatureTrailer?
    private let indexByName: [String: Int]

    public init(url: URL) throws {
        self.url = url
        file = try MappedFile(url: url)
        do {
            let parsed = try Self.parse(file.bytes)
            header = parsed.header
            models = parsed.models
            sections = parsed.sections
            headerDigest = parsed.digest
            signature = parsed.signature
        } catch let error as PackageError {
            throw PackageFileError(path: url.path, error: error)
        }
        indexByName = Dictionary(sections.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The index of the section called `name`.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// A section's stored bytes (coded and encrypted as written), borrowed from the mapping.
    public func storedBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let e = sections[index]
        return file.slice(offset: e.offset, count: e.storedSize) ?? UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Checks a section's stored bytes against its SHA-256; throws naming it.
    public func checkIntegrity(of index: Int) throws {
        let e = sections[index]
        guard Array(SHA256.hash(data: storedBytes(index))) == e.digest else {
            throw PackageFileError(path: url.path, error: .integrity("section '\(e.name)'"))
        }
    }

    /// Bytes between sections (alignment padding) must be zero: otherwise a changed byte there would go unnoticed.
    public func checkPadding(before index: Int) throws {
        let start = index == 0 ? header.headerSize : sections[index - 1].offset + sections[index - 1].storedSize
        let end = index == sections.count ? dataEnd : sections[index].offset
        guard let gap = file.slice(offset: start, count: end - start), gap.allSatisfy({ $0 == 0 }) else {
            let place = index == sections.count ? "after the last section" : "before section '\(sections[index].name)'"
            throw PackageFileError(path: url.path, error: .integrity("padding \(place)"))
        }
    }

    /// Where section data ends (the signature trailer, or the end of the file).
    var dataEnd: Int { header.signatureOffset != 0 ? header.signatureOffset : header.fileSize }

    // MARK: - Parsing the layout

    struct Parsed {
        let header: FileHeader
        let models: [ModelHeader]
        let sections: [SectionEntry]
        let digest: [UInt8]
        let signature: SignatureTrailer?
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Parsed {
        guard bytes.count >= FileHeader.size else {
            throw PackageError.malformed("file header", "the file has \(bytes.count) bytes, a package at least \(FileHeader.size)")
        }
        let h = try FileHeader.decode(bytes)
        guard h.fileSize == bytes.count else {
            throw PackageError.malformed("file header", "says the file has \(h.fileSize) bytes, it has \(bytes.count) (truncated or extended)")
        }
        // Counts bounded by what the header region could hold, so nothing below allocates absurdly.
        guard h.modelCount <= 1 << 16, h.sectionCount <= 1 << 24 else {
            throw PackageError.malformed("file header", "\(h.modelCount) models and \(h.sectionCount) sections are absurd")
        }
        // Derived from the bounded counts alone: a sum with an offset from the file could overflow.
        let expectedSections = FileHeader.size + h.modelCount * ModelHeader.size
        let expectedStrings = expectedSections + h.sectionCount * SectionEntry.size
        guard h.modelTableOffset == FileHeader.size, h.sectionTableOffset == expectedSections,
              h.stringTableOffset == expectedStrings, h.stringTableSize <= bytes.count,
              h.headerSize == h.stringTableOffset + h.stringTableSize + 32, h.headerSize <= bytes.count,
              h.dataOffset == PackageWriter.aligned(h.headerSize), h.dataOffset <= bytes.count else {
            throw PackageError.malformed("file header", "its tables are not where the format puts them")
        }
        guard let base = bytes.baseAddress else { throw PackageError.malformed("file header", "empty file") }
        let region = UnsafeRawBufferPointer(start: base, count: h.headerSize - 32)
        let digest = Array(UnsafeRawBufferPointer(start: base + h.headerSize - 32, count: 32))
        guard Array(SHA256.hash(data: region)) == digest else { throw PackageError.integrity("header") }

        let strings = UnsafeRawBufferPointer(start: base + h.stringTableOffset, count: h.stringTableSize)
        var sections: [SectionEntry] = []
        sections.reserveCapacity(h.sectionCount)
        var names = Set<String>()
        let dataEnd = h.flags.contains(.signed) ? h.signatureOffset : h.fileSize
        var previousEnd = h.dataOffset
        for i in 0..<h.sectionCount {
            let e = try SectionEntry.decode(bytes, at: h.sectionTableOffset + i * SectionEntry.size, index: i, strings: strings)
            let what = "section '\(e.name)'"
            guard names.insert(e.name).inserted else { throw PackageError.malformed(what, "appears twice") }
            guard e.offset % PackageWriter.alignment == 0, e.offset >= previousEnd, e.offset <= dataEnd,
                  e.storedSize <= dataEnd - e.offset else {
                throw PackageError.malformed(what, "lies outside the data area or overlaps the section before it")
            }
            try checkSizes(e, what: what)
            previousEnd = e.offset + e.storedSize
            sections.append(e)
        }
        var models: [ModelHeader] = []
        for i in 0..<h.modelCount {
            let m = try ModelHeader.decode(bytes, at: h.modelTableOffset + i * ModelHeader.size, index: i)
            let what = "model header \(i)"
            for s in m.sectionIndices where s != ModelHeader.none && Int(s) >= sections.count {
                throw PackageError.malformed(what, "names section \(s) of \(sections.count)")
            }
            guard m.structureSection != ModelHeader.none, m.tensorIndexSection != ModelHeader.none, m.tensorDataSection != ModelHeader.none else {
                throw PackageError.malformed(what, "lacks its structure, tensor index or tensor data section")
            }
            let graph = sections[Int(m.structureSection)], data = sections[Int(m.tensorDataSection)]
            guard m.graphOffset == graph.offset, m.graphSize == graph.storedSize, m.dataOffset == data.offset, m.dataSize == data.storedSize else {
                throw PackageError.malformed(what, "graph or tensor-data extents disagree with the section table")
            }
            guard m.checksum == ModelHeader.checksum(of: m.sectionIndices, entries: sections) else {
                throw PackageError.integrity(what)
            }
            models.append(m)
        }
        var signature: SignatureTrailer?
        if h.flags.contains(.signed) {
            guard h.signatureOffset >= previousEnd, h.signatureOffset % 8 == 0, h.signatureOffset == h.fileSize - SignatureTrailer.size else {
                throw PackageError.malformed("file header", "the signature trailer is not at the end of the file")
            }
            let trailer = try SignatureTrailer.decode(bytes, at: h.signatureOffset)
            guard trailer.isValid(headerDigest: digest) else { throw PackageError.signature("does not verify: the package was altered after signing") }
            signature = trailer
        } else if h.signatureOffset != 0 {
            throw PackageError.malformed("file header", "a signature offset without the signed flag")
        }
        return Parsed(header: h, models: models, sections: sections, digest: digest, signature: signature)
    }

    /// Declared sizes must be consistent with the coding, so decoding never allocates more than the original size.
    private static func checkSizes(_ e: SectionEntry, what: String) throws {
        guard e.originalSize <= 1 << 40 else { throw PackageError.malformed(what, "original size \(e.originalSize) is absurd") }
        if e.coding == .none && e.encryption == .none && e.storedSize != e.originalSize {
            throw PackageError.malformed(what, "stored and original sizes differ for plain bytes")
        }
        if e.encryption != .none {
            guard e.chunkSize > 0, e.chunkSize <= 1 << 30 else { throw PackageError.malformed(what, "chunk size \(e.chunkSize) is invalid") }
        } else if e.chunkSize != 0 {
            throw PackageError.malformed(what, "a chunk size without encryption")
        }
    }
}
