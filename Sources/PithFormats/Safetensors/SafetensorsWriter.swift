import Foundation
import PithTensor

/// Writes safetensors files: header padded with spaces so the data region starts 8-byte aligned, tensors laid out
/// contiguously (largest element size first, then by name, as the reference writer does, so every tensor stays
/// aligned to its element size), written to a temporary file and renamed into place.
public enum SafetensorsWriter {
    /// One tensor to write: its name, element type, shape (outermost first) and bytes.
    public typealias Tensor = (name: String, dtype: ScalarType, shape: [Int], data: UnsafeRawBufferPointer)

    /// Writes `tensors` and `metadata` (stored as `__metadata__`) to `url`.
    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to url: URL) throws {
        func fault(_ message: String) -> SafetensorsError { SafetensorsError(path: url.path, kind: .invalidUse, message) }
        var names: Set<String> = []
        for t in tensors {
            guard !t.name.isEmpty, t.name != "__metadata__" else { throw fault("tensor name '\(t.name)' is reserved or empty") }
            guard names.insert(t.name).inserted else { throw fault("tensor '\(t.name)' given twice") }
            guard let n = SafetensorsDType.byteCount(shape: t.shape, dtype: t.dtype) else {
                throw fault("tensor '\(t.name)' shape \(t.shape) is negative or overflows")
            }
            guard n == t.data.count else {
                throw fault("tensor '\(t.name)' has \(t.data.count) bytes; \(SafetensorsDType.name(of: t.dtype)) \(t.shape) needs \(n)")
            }
        }
        let ordered = tensors.sorted { ($1.dtype.byteSize, $0.name) < ($0.dtype.byteSize, $1.name) }

        var entries: [String] = []
        if !metadata.isEmpty {
            let members = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            entries.append("\"__metadata__\":{\(members.joined(separator: ","))}")
        }
        var offset = 0
        for t in ordered {
            let shape = t.shape.map(String.init).joined(separator: ",")
            let dtype = SafetensorsDType.name(of: t.dtype)
            entries.append("\(jsonString(t.name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + t.data.count)]}")
            offset += t.data.count
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        guard header.count <= SafetensorsFile.maxHeaderBytes else {
            throw fault("header of \(header.count) bytes exceeds the \(SafetensorsFile.maxHeaderBytes)-byte limit")
        }

        let sink: AtomicFileWriter
        do { sink = try AtomicFileWriter(destination: url) } catch {
            throw SafetensorsError(path: url.path, kind: .io, "\(error)")
        }
        do {
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try sink.write($0) }
            try sink.write(header)
            for t in ordered { try sink.write(t.data) }
            try sink.commit()
        } catch {
            sink.abort()
            throw SafetensorsError(path: url.path, kind: .io, "\(error)")
        }
    }

    /// `s` as a JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
