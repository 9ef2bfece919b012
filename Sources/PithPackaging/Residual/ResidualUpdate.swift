import Crypto
import Foundation
import PithGraph
import PithTensor

/// Residual updates (GB/T 42382.2 §8.2.6): an update package that turns base package A into target B as
/// B′ = A + Q(Δ), naming A by its header digest, so a device that has A downloads only what changed.
public enum ResidualUpdate {
    public struct Options {
        /// Bits per quantized difference (2…8).
        public var bits = 8
        /// Coding of the delta and carried sections.
        public var coding: SectionCoding = .none
        public var baseDecryption: PackageDecryption?
        public var targetDecryption: PackageDecryption?
        public init() {}
    }

    /// What `make` measured.
    public struct Report: Sendable {
        public var updateSize = 0
        public var targetSize = 0
        public var tensorsSame = 0
        public var tensorsDelta = 0
        public var tensorsWhole = 0
        public var error = ReconstructionError()
    }

    /// Writes the update from `base` to `target` at `url`.
    @discardableResult
    public static func make(base: PackageReader, target: PackageReader, options: Options = Options(), to url: URL,
                            progress: ((String) -> Void)? = nil) throws -> Report {
        guard (2...8).contains(options.bits) else { throw PackageError.malformed("--bits", "must be 2…8, is \(options.bits)") }
        var report = Report()
        var manifest = ResidualManifest(bits: options.bits, baseDigest: hex(base.headerDigest), targetDigest: hex(target.headerDigest),
                                        sections: [], models: [], tensors: [:], error: ReconstructionError())
        var writer = PackageWriter()
        writer.baseDigest = base.headerDigest
        let dataSections = Set(target.models.map { Int($0.tensorDataSection) })

        for (i, entry) in target.sections.enumerated() where entry.name != PackageEncryption.descriptorSection {
            progress?(entry.name)
            let content = try target.section(i, decryption: options.targetDecryption)
            let digest = content.withBytes { hex(Array(SHA256.hash(data: $0))) }
            var record = ResidualManifest.Section(name: entry.name, origin: .update, digest: digest, size: content.bytes.count,
                                                  encrypt: entry.encryption != .none)
            if let j = base.index(of: entry.name),
               let same = try? base.section(j, decryption: options.baseDecryption), same.withBytes({ hex(Array(SHA256.hash(data: $0))) }) == digest {
                record.origin = .base
            } else if dataSections.contains(i), let model = target.models.first(where: { Int($0.tensorDataSection) == i }),
                      let plan = try deltas(model: model, target: target, base: base, content: content, options: options) {
                record.origin = .reconstruct
                manifest.tensors[entry.name] = plan.tensors
                manifest.error.add(plan.error)
                report.error.add(plan.error)
                for t in plan.tensors {
                    switch t.kind {
                    case .same: report.tensorsSame += 1
                    case .delta: report.tensorsDelta += 1
                    case .whole: report.tensorsWhole += 1
                    }
                }
                writer.sections.append(.init(name: ResidualManifest.deltaSection(for: entry.name), source: .bytes(plan.bytes), coding: options.coding))
            } else {
                writer.sections.append(.init(name: ResidualManifest.carriedSection(for: entry.name), source: .bytes(content.array),
                                             coding: options.coding))
            }
            manifest.sections.append(record)
        }
        manifest.models = target.models.map { m in
            func name(_ s: UInt32) -> String? { s == ModelHeader.none ? nil : target.sections[Int(s)].name }
            return ResidualManifest.Model(kind: m.kind.rawValue, structure: name(m.structureSection) ?? "", tensorIndex: name(m.tensorIndexSection) ?? "",
                                          tensorData: name(m.tensorDataSection) ?? "", tokenizer: name(m.tokenizerSection), config: name(m.configSection),
                                          sourceHeader: name(m.sourceHeaderSection), parameterCount: m.parameterCount)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        writer.sections.insert(.init(name: ResidualManifest.section, source: .bytes(Array(try encoder.encode(manifest))), coding: options.coding), at: 0)
        let written = try writer.write(to: url)
        report.updateSize = written.fileSize
        report.targetSize = target.header.fileSize
        return report
    }

    struct Plan {
        var tensors: [ResidualManifest.Tensor]
        var bytes: [UInt8]
        var error: ReconstructionError
    }

    /// Per-tensor plan for a target data section, or nil when it cannot be rebuilt from tensors alone (bytes outside
    /// every tensor that are not zero).
    static func deltas(model: ModelHeader, target: PackageReader, base: PackageReader, content: SectionData, options: Options) throws -> Plan? {
        let targetIndex = try TensorIndex.decode(try target.section(Int(model.tensorIndexSection), decryption: options.targetDecryption).data,
                                                 file: target.sections[Int(model.tensorIndexSection)].name)
        try targetIndex.validate(dataSize: content.bytes.count, file: "target tensor index")
        guard gapsAreZero(content.bytes, tensors: targetIndex.tensors) else { return nil }
        // The base model with the same position in the model table, if any.
        let baseTensors: (index: TensorIndex, data: SectionData)?
        if let bm = base.models.first(where: { $0.modelID == model.modelID }) {
            let index = try TensorIndex.decode(try base.section(Int(bm.tensorIndexSection), decryption: options.baseDecryption).data, file: "base tensor index")
            let data = try base.section(Int(bm.tensorDataSection), decryption: options.baseDecryption)
            try index.validate(dataSize: data.bytes.count, file: "base tensor index")
            baseTensors = (index, data)
        } else {
            baseTensors = nil
        }
        let baseByName = Dictionary((baseTensors?.index.tensors ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Both sections' bytes are read through raw pointers below: keep their owners alive throughout.
        return try withExtendedLifetime((content, baseTensors?.data)) {
            try plan(targetIndex, content: content, baseByName: baseByName, baseData: baseTensors?.data, options: options)
        }
    }

    private static func plan(_ targetIndex: TensorIndex, content: SectionData, baseByName: [String: TensorIndex.Entry],
                             baseData baseSection: SectionData?, options: Options) throws -> Plan {
        var plan = Plan(tensors: [], bytes: [], error: ReconstructionError())
        for t in targetIndex.tensors {
            let targetBytes = slice(content.bytes, t.offset, t.size)
            var record = ResidualManifest.Tensor(name: t.name, kind: .whole, type: t.type, shape: t.shape, offset: t.offset, size: t.size)
            if let b = baseByName[t.name], let baseData = baseSection, b.shape == t.shape {
                let baseBytes = slice(baseData.bytes, b.offset, b.size)
                if b.type.uppercased() == t.type.uppercased() && baseBytes.elementsEqual(targetBytes) {
                    record.kind = .same
                    plan.tensors.append(record)
                    continue
                }
                if let a = try? floats(baseBytes, type: b.type, count: elementCount(t.shape)),
                   let target = try? floats(targetBytes, type: t.type, count: elementCount(t.shape)),
                   let type = ggmlType(t.type), type.canQuantize || type.scalarType != nil {
                    let (rows, cols) = matrix(t.shape)
                    let q = QuantizedDelta.quantize(zip(target, a).map { $0 - $1 }, rows: rows, cols: cols, bits: options.bits)
                    let rebuilt = zip(a, q.dequantized()).map { $0 + $1 }
                    // What the device will hold: B′ in the target's encoding.
                    if let encoded = try? encode(rebuilt, type: type),
                       let back = try? encoded.withUnsafeBytes({ try floats($0[...], type: t.type, count: rebuilt.count) }) {
                        plan.error.add(reconstructed: back, target: target)
                        let bytes = q.encoded()
                        record.kind = .delta
                        record.deltaOffset = plan.bytes.count
                        record.deltaSize = bytes.count
                        plan.bytes += bytes
                        plan.tensors.append(record)
                        continue
                    }
                }
            }
            record.deltaOffset = plan.bytes.count
            record.deltaSize = t.size
            plan.bytes += targetBytes
            plan.tensors.append(record)
        }
        return plan
    }

    // MARK: - Helpers shared with patching

    static func slice(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ size: Int) -> UnsafeRawBufferPointer.SubSequence {
        bytes[offset..<(offset + size)]
    }

    static func gapsAreZero(_ bytes: UnsafeRawBufferPointer, tensors: [TensorIndex.Entry]) -> Bool {
        var cursor = 0
        for t in tensors.sorted(by: { $0.offset < $1.offset }) {
            if t.offset > cursor, !bytes[cursor..<t.offset].allSatisfy({ $0 == 0 }) { return false }
            cursor = max(cursor, t.offset + t.size)
        }
        return bytes[cursor...].allSatisfy { $0 == 0 }
    }

    static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1) { $0 &* max($1, 0) } }

    /// (rows, cols) of a tensor seen as a matrix of output channels: the last dimension is a row.
    static func matrix(_ shape: [Int]) -> (Int, Int) {
        let cols = max(shape.last ?? 1, 1)
        return (max(elementCount(shape) / cols, 1), cols)
    }

    static func ggmlType(_ name: String) -> GGMLType? {
        GGMLType.allCases.first { $0.name.uppercased() == name.uppercased() }
    }

    static func floats(_ bytes: UnsafeRawBufferPointer.SubSequence, type: String, count: Int) throws -> [Float] {
        guard let t = ggmlType(type), t.canDequantize else { throw PackageError.unsupported("no reference dequantizer for \(type)") }
        return try t.dequantize(UnsafeRawBufferPointer(rebasing: bytes), count: count)
    }

    static func encode(_ values: [Float], type: GGMLType) throws -> [UInt8] {
        guard let size = type.rowBytes(elements: values.count) else { throw PackageError.unsupported("\(type.name) cannot hold \(values.count) values") }
        var out = [UInt8](repeating: 0, count: size)
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBytes { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                try type.quantize(s, count: values.count, into: d)
            }
        }
        return out
    }
}
