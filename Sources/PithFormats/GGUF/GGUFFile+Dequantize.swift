import PithTensor

extension GGUFFile {
    /// Rows `rows` of `info`'s tensor decoded to f32 with the reference dequantizer (a row is `ne0` values).
    ///
    /// Throws when the type has no reference decoder or the rows are outside the tensor.
    public func dequantizeRows(of info: GGUFTensorInfo, rows: Range<Int>) throws -> [Float] {
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw GGUFError(path: url.path, kind: .invalidUse, "rows \(rows) are outside tensor '\(info.name)' (\(info.rowCount) rows)")
        }
        guard let rowBytes = info.type.rowBytes(elements: info.rowLength) else {
            throw GGUFError(path: url.path, kind: .invalidTensor, "tensor '\(info.name)' rows are not whole blocks")
        }
        let bytes = data(for: info).bytes
        let start = rows.lowerBound * rowBytes, end = rows.upperBound * rowBytes
        guard end <= bytes.count else {
            throw GGUFError(path: url.path, kind: .invalidUse, "tensor '\(info.name)' is not from this file")
        }
        do {
            return try info.type.dequantize(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), count: rows.count * info.rowLength)
        } catch {
            throw GGUFError(path: url.path, kind: .invalidUse, "tensor '\(info.name)': \(error)")
        }
    }

    /// The whole of `info`'s tensor decoded to f32 (ggml order: `ne0` varies fastest).
    public func dequantize(_ info: GGUFTensorInfo) throws -> [Float] {
        try dequantizeRows(of: info, rows: 0..<info.rowCount)
    }
}
