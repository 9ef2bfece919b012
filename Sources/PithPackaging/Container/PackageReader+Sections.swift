import Crypto
import Foundation
import PithTensor

/// A section's original bytes: borrowed from the mapping when stored plain, else decoded into memory `owner` holds.
public struct SectionData: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    /// Keeps `bytes` alive (the reader's mapping, or a decoded buffer).
    public let owner: AnyObject

    /// `bytes` are valid only while `owner` lives: read them through these, which keep it alive.
    public var data: Data { withExtendedLifetime(owner) { Data(bytes) } }
    public var array: [UInt8] { withExtendedLifetime(owner) { Array(bytes) } }
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try withExtendedLifetime(owner) { try body(bytes) }
    }
}

extension PackageReader {
    /// The original bytes of section `index`: integrity-checked, decrypted with `key` when encrypted, decoded.
    public func section(_ index: Int, decryption: PackageDecryption? = nil) throws -> SectionData {
        try checkIntegrity(of: index)
        try checkPadding(before: index)
        if index == sections.count - 1 { try checkPadding(before: sections.count) }
        let e = sections[index]
        var stored = storedBytes(index)
        var owned: [UInt8]?
        do {
            if e.encryption != .none || e.coding != .none {
                // The decoded size comes from the file: refuse what the machine cannot hold before allocating it.
                do { try MemoryBudget.require(e.originalSize, for: "section '\(e.name)' once decoded") } catch let limit as LimitError {
                    throw PackageError.unsupported(limit.description)
                }
            }
            if e.encryption != .none {
                guard let decryption else { throw PackageError.missing("section '\(e.name)' is encrypted: give the key (--key)") }
                owned = try decryption.open(stored, section: e, index: UInt32(index), reader: self)
            }
            if e.coding != .none {
                let layout = e.coding == .tensorCoding ? try tensorLayout(forDataSection: index, decryption: decryption) : nil
                let input = owned
                let decoded = try withBytes(input, or: stored) {
                    try SectionCoder.decode($0, coding: e.coding, originalSize: e.originalSize, layout: layout)
                }
                owned = decoded
            }
        } catch let error as PackageError {
            throw PackageFileError(path: url.path, error: error)
        }
        guard let owned else { return SectionData(bytes: stored, owner: file) }
        guard owned.count == e.originalSize else {
            throw PackageFileError(path: url.path, error: .malformed("section '\(e.name)'", "decodes to \(owned.count) bytes, the table says \(e.originalSize)"))
        }
        let buffer = OwnedBytes(owned)
        stored = buffer.bytes
        return SectionData(bytes: stored, owner: buffer)
    }

    /// The original bytes of the section called `name`.
    public func section(named name: String, decryption: PackageDecryption? = nil) throws -> SectionData {
        guard let i = index(of: name) else { throw PackageFileError(path: url.path, error: .missing("no section '\(name)'")) }
        return try section(i, decryption: decryption)
    }

    private func withBytes<T>(_ owned: [UInt8]?, or stored: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        if let owned { return try owned.withUnsafeBytes(body) }
        return try body(stored)
    }

    /// For a tensor-coded data section: the layout its model's tensor index gives.
    func tensorLayout(forDataSection index: Int, decryption: PackageDecryption?) throws -> TensorLayout {
        guard let model = models.first(where: { Int($0.tensorDataSection) == index }) else {
            throw PackageError.malformed("section '\(sections[index].name)'", "is tensor-coded but no model's tensor data")
        }
        // Reading a tensor-coded index would need a layout in turn: with the index naming its own data section (or two
        // models naming each other's), that recursion never ends.
        guard sections[Int(model.tensorIndexSection)].coding != .tensorCoding else {
            throw PackageError.malformed("section '\(sections[index].name)'", "its tensor index is tensor-coded itself")
        }
        let indexData = try section(Int(model.tensorIndexSection), decryption: decryption)
        return try TensorIndex.decode(indexData.data, file: sections[Int(model.tensorIndexSection)].name).layout
    }

    // MARK: - Verification

    /// What `verify` found.
    public struct Verification: Sendable {
        public var sectionsChecked = 0
        public var bytesChecked = 0
        /// The signer's key fingerprint when signed.
        public var signer: String?
        /// Whether the signer is the trusted key the caller gave.
        public var signerTrusted = false
    }

    /// Checks every section's SHA-256 and all padding; with `trustedKey`, that the package is signed by it.
    public func verify(trustedKey: Curve25519.Signing.PublicKey? = nil, progress: ((String) -> Void)? = nil) throws -> Verification {
        var result = Verification()
        for i in sections.indices {
            progress?(sections[i].name)
            try checkPadding(before: i)
            try checkIntegrity(of: i)
            result.sectionsChecked += 1
            result.bytesChecked += sections[i].storedSize
        }
        try checkPadding(before: sections.count)
        result.signer = signature?.fingerprint
        if let trustedKey {
            guard let signature else { throw PackageFileError(path: url.path, error: .signature("the package is not signed")) }
            guard signature.publicKey == Array(trustedKey.rawRepresentation) else {
                throw PackageFileError(path: url.path, error: .signature("signed by key \(signature.fingerprint), not by the trusted key"))
            }
            result.signerTrusted = true
        }
        return result
    }
}

/// Decoded bytes on the heap, 64-byte aligned so tensors in them can be read directly.
final class OwnedBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    let bytes: UnsafeRawBufferPointer

    init(_ content: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(content.count, 1), alignment: 64)
        content.withUnsafeBytes { src in
            if let s = src.baseAddress, let d = storage.baseAddress { d.copyMemory(from: s, byteCount: src.count) }
        }
        self.storage = storage
        bytes = UnsafeRawBufferPointer(start: storage.baseAddress, count: content.count)
    }

    deinit { storage.deallocate() }
}
