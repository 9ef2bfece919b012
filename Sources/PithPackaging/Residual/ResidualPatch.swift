import Crypto
import Foundation

/// Applies a residual update: refuses a base whose header digest is not the one the update names, rebuilds
/// B′ = A + Q(Δ) tensor by tensor in the target's encodings, and writes the target package atomically.
public enum ResidualPatch {
    public struct Report: Sendable {
        public var fileSize = 0
        /// The error the update recorded when it was made (B′ against the true target).
        public var error = ReconstructionError()
        public var bits = 0
    }

    @discardableResult
    public static func apply(base: PackageReader, update: PackageReader, baseDecryption: PackageDecryption? = nil, to url: URL,
                             progress: ((String) -> Void)? = nil) throws -> Report {
        func fail(_ error: PackageError) -> PackageFileError { PackageFileError(path: update.url.path, error: error) }
        guard update.header.flags.contains(.residualUpdate) else { throw fail(.malformed("file header", "not a residual update")) }
        guard update.header.baseDigest == base.headerDigest else {
            throw fail(.malformed("base", "the update is for base \(hex(update.header.baseDigest).prefix(16))…, \(base.url.lastPathComponent) is \(hex(base.headerDigest).prefix(16))…"))
        }
        let manifest: ResidualManifest
        do {
            manifest = try JSONDecoder().decode(ResidualManifest.self, from: try update.section(named: ResidualManifest.section).data)
        } catch let e as PackageFileError { throw e } catch {
            throw fail(.malformed("section '\(ResidualManifest.section)'", "not a residual manifest (\(error))"))
        }
        guard (2...8).contains(manifest.bits) else { throw fail(.malformed("residual manifest", "bits \(manifest.bits)")) }
        var writer = PackageWriter()
        for record in manifest.sections {
            progress?(record.name)
            let bytes: [UInt8]
            switch record.origin {
            case .base:
                bytes = try base.section(named: record.name, decryption: baseDecryption).array
            case .update:
                bytes = try update.section(named: ResidualManifest.carriedSection(for: record.name)).array
            case .reconstruct:
                bytes = try rebuild(record, manifest: manifest, base: base, update: update, baseDecryption: baseDecryption)
            }
            guard bytes.count == record.size else { throw fail(.malformed("section '\(record.name)'", "rebuilt \(bytes.count) bytes, expected \(record.size)")) }
            // Sections taken whole must be exactly the target's; rebuilt tensor data differs by Q(Δ) by design.
            if record.origin != .reconstruct && hex(Array(SHA256.hash(data: bytes))) != record.digest {
                throw fail(.integrity("rebuilt section '\(record.name)'"))
            }
            writer.sections.append(.init(name: record.name, source: .bytes(bytes)))
        }
        let names = Set(manifest.sections.map(\.name))
        for m in manifest.models {
            guard let kind = ModelHeader.Kind(rawValue: m.kind),
                  [m.structure, m.tensorIndex, m.tensorData].allSatisfy(names.contains) else {
                throw fail(.malformed("residual manifest", "a model names sections the target lacks"))
            }
            writer.models.append(.init(kind: kind, structure: m.structure, tensorIndex: m.tensorIndex, tensorData: m.tensorData,
                                       tokenizer: m.tokenizer, config: m.config, sourceHeader: m.sourceHeader, parameterCount: m.parameterCount))
        }
        let written = try writer.write(to: url)
        return Report(fileSize: written.fileSize, error: manifest.error, bits: manifest.bits)
    }

    /// A target tensor-data section from the base's tensors and the update's deltas.
    static func rebuild(_ record: ResidualManifest.Section, manifest: ResidualManifest, base: PackageReader, update: PackageReader,
                        baseDecryption: PackageDecryption?) throws -> [UInt8] {
        guard let tensors = manifest.tensors[record.name], record.size >= 0, record.size <= 1 << 40 else {
            throw PackageError.malformed("residual manifest", "no tensor plan for '\(record.name)'")
        }
        let deltas = try update.section(named: ResidualManifest.deltaSection(for: record.name))
        // The base model whose data section has this name (same layout of names as the target).
        guard let bm = base.models.first(where: { base.sections[Int($0.tensorDataSection)].name == record.name }) else {
            if tensors.contains(where: { $0.kind != .whole }) { throw PackageError.malformed("base", "has no tensor data '\(record.name)'") }
            return try deltas.withBytes { try assemble(size: record.size, tensors: tensors, deltas: $0, baseIndex: [:], baseData: nil, bits: manifest.bits) }
        }
        let index = try TensorIndex.decode(try base.section(Int(bm.tensorIndexSection), decryption: baseDecryption).data, file: "base tensor index")
        let data = try base.section(Int(bm.tensorDataSection), decryption: baseDecryption)
        try index.validate(dataSize: data.bytes.count, file: "base tensor index")
        let byName = Dictionary(index.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        return try deltas.withBytes { d in
            try data.withBytes { b in try assemble(size: record.size, tensors: tensors, deltas: d, baseIndex: byName, baseData: b, bits: manifest.bits) }
        }
    }

    static func assemble(size: Int, tensors: [ResidualManifest.Tensor], deltas: UnsafeRawBufferPointer, baseIndex: [String: TensorIndex.Entry],
                         baseData: UnsafeRawBufferPointer?, bits: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        for t in tensors {
            guard t.offset >= 0, t.size >= 0, t.offset <= size, t.size <= size - t.offset else {
                throw PackageError.malformed("residual manifest", "tensor '\(t.name)' lies outside its section")
            }
            func deltaBytes() throws -> UnsafeRawBufferPointer {
                guard let o = t.deltaOffset, let n = t.deltaSize, o >= 0, n >= 0, o <= deltas.count, n <= deltas.count - o, let b = deltas.baseAddress else {
                    throw PackageError.malformed("residual manifest", "tensor '\(t.name)' delta lies outside the delta section")
                }
                return UnsafeRawBufferPointer(start: b + o, count: n)
            }
            func baseBytes() throws -> UnsafeRawBufferPointer {
                guard let e = baseIndex[t.name], let data = baseData, let b = data.baseAddress, e.shape == t.shape else {
                    throw PackageError.malformed("base", "lacks tensor '\(t.name)' of shape \(t.shape)")
                }
                return UnsafeRawBufferPointer(start: b + e.offset, count: e.size)
            }
            let bytes: [UInt8]
            switch t.kind {
            case .whole:
                bytes = Array(try deltaBytes())
            case .same:
                bytes = Array(try baseBytes())
            case .delta:
                guard let e = baseIndex[t.name], let type = ResidualUpdate.ggmlType(t.type) else {
                    throw PackageError.malformed("residual manifest", "tensor '\(t.name)': no base tensor or unknown type \(t.type)")
                }
                let count = ResidualUpdate.elementCount(t.shape)
                let a = try ResidualUpdate.floats(try baseBytes()[...], type: e.type, count: count)
                let (rows, cols) = ResidualUpdate.matrix(t.shape)
                let q = try QuantizedDelta.decode(try deltaBytes(), rows: rows, cols: cols, bits: bits)
                bytes = try ResidualUpdate.encode(zip(a, q.dequantized()).map { $0 + $1 }, type: type)
            }
            guard bytes.count == t.size else { throw PackageError.malformed("residual manifest", "tensor '\(t.name)' rebuilt to \(bytes.count) bytes, expected \(t.size)") }
            out.replaceSubrange(t.offset..<(t.offset + t.size), with: bytes)
        }
        return out
    }
}
