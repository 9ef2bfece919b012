/// The double-quantized int layout (`QuantScheme`, `SuperBlockScales`): packing, reading, and expanding into the
/// plain int layout the kernels run.
extension QuantizedMatrix {
    /// Writes every row's super-blocks `[d][dmin][6-bit sc…, mc…][codes]` at `base`.
    func packSuperBlocks(_ q: UnsafePointer<UInt8>, into base: UnsafeMutableRawPointer) {
        guard let sb = superBlocks else { return }
        let g = scheme.group(cols: cols), length = scheme.superBlock(cols: cols), perSuper = length / g
        let stride = scheme.superBlockBytes(length: length, cols: cols), hdr = scheme.symmetric ? 2 : 4
        var fields = [UInt8](repeating: 0, count: 2 * perSuper)
        for s in 0..<(rows * cols / length) {
            let p = base + s * stride
            BlockBytes.storeU16(Half.fromFloat(sb.d[s]), p, 0)
            for i in 0..<perSuper { fields[i] = sb.scaleCodes[s * perSuper + i] }
            if !scheme.symmetric {
                BlockBytes.storeU16(Half.fromFloat(sb.dmin[s]), p, 2)
                for i in 0..<perSuper { fields[perSuper + i] = sb.minCodes[s * perSuper + i] }
            }
            let count = scheme.symmetric ? perSuper : 2 * perSuper
            fields.withUnsafeBufferPointer { SuperBlockScales.pack6($0.baseAddress!, count: count, into: p + hdr) }
            let codes = p + hdr + (6 * count + 7) / 8
            for b in 0..<(length / 32) {
                Self.packSubBlock(q + s * length + b * 32, bits: scheme.bits, into: codes + b * 4 * scheme.bits)
            }
        }
    }

    /// Reads every row's super-blocks from `base` (the byte count already checked): codes into `q`, and the scales.
    static func unpackSuperBlocks(_ base: UnsafeRawPointer, scheme: QuantScheme, rows: Int, cols: Int,
                                  into q: UnsafeMutablePointer<UInt8>) -> SuperBlockScales {
        let g = scheme.group(cols: cols), length = scheme.superBlock(cols: cols), perSuper = length / g
        let stride = scheme.superBlockBytes(length: length, cols: cols), hdr = scheme.symmetric ? 2 : 4
        let supers = rows * cols / length, asymmetric = !scheme.symmetric
        var sb = SuperBlockScales(d: [Float](repeating: 0, count: supers),
                                  dmin: [Float](repeating: 0, count: asymmetric ? supers : 0),
                                  scaleCodes: [UInt8](repeating: 0, count: supers * perSuper),
                                  minCodes: [UInt8](repeating: 0, count: asymmetric ? supers * perSuper : 0))
        for s in 0..<supers {
            let p = base + s * stride
            sb.d[s] = BlockBytes.f16(p, 0)
            if asymmetric { sb.dmin[s] = BlockBytes.f16(p, 2) }
            for i in 0..<perSuper {
                sb.scaleCodes[s * perSuper + i] = SuperBlockScales.field6(p + hdr, i)
                if asymmetric { sb.minCodes[s * perSuper + i] = SuperBlockScales.field6(p + hdr, perSuper + i) }
            }
            let codes = p + hdr + (6 * (asymmetric ? 2 : 1) * perSuper + 7) / 8
            for b in 0..<(length / 32) {
                unpackSubBlock(codes + b * 4 * scheme.bits, bits: scheme.bits, into: q + s * length + b * 32)
            }
        }
        return sb
    }

    /// The same values in the plain int layout of `scheme` without double quantization (an f16 scale, and minimum,
    /// per group), for the kernels: the code planes are copied, each group's header is `d·sc` (and `−dmin·mc`)
    /// as f16 — exact when `d` and `dmin` have at most 5 significant bits, as Pith writes them (`SuperBlockScales`);
    /// otherwise rounded to the nearest f16 (relative error ≤ 2⁻¹¹ of that scale or minimum).
    public static func expandSuperBlocks(_ bytes: UnsafeRawBufferPointer, scheme: QuantScheme, rows: Int,
                                         cols: Int) throws -> (scheme: QuantScheme, bytes: [UInt8]) {
        var plain = scheme
        plain.doubleQuantization = false
        guard scheme.isSuperBlocked, rows > 0, let total = scheme.byteCount(rows: rows, cols: cols),
              let outTotal = plain.byteCount(rows: rows, cols: cols) else {
            throw QuantLayoutError("\(scheme) cannot store \(rows)×\(cols) values in super-blocks")
        }
        guard bytes.count == total, let base = bytes.baseAddress else {
            throw QuantLayoutError("\(scheme): \(bytes.count) bytes for \(rows)×\(cols) values, expected \(total)")
        }
        let g = scheme.group(cols: cols), length = scheme.superBlock(cols: cols), perSuper = length / g
        let stride = scheme.superBlockBytes(length: length, cols: cols), hdr = scheme.symmetric ? 2 : 4
        let groupCodes = g / 32 * 4 * scheme.bits, groupBytes = plain.headerBytes + groupCodes
        let fieldBytes = (6 * (scheme.symmetric ? 1 : 2) * perSuper + 7) / 8
        var out = [UInt8](repeating: 0, count: outTotal)
        out.withUnsafeMutableBytes { raw in
            guard let dst = raw.baseAddress else { return }
            for s in 0..<(rows * cols / length) {
                let p = base + s * stride
                let d = BlockBytes.f16(p, 0), dmin = scheme.symmetric ? 0 : BlockBytes.f16(p, 2)
                for i in 0..<perSuper {
                    let o = dst + (s * perSuper + i) * groupBytes
                    BlockBytes.storeU16(Half.fromFloat(d * Float(SuperBlockScales.field6(p + hdr, i))), o, 0)
                    if !scheme.symmetric {
                        let m = -(dmin * Float(SuperBlockScales.field6(p + hdr, perSuper + i)))
                        BlockBytes.storeU16(Half.fromFloat(m), o, 2)
                    }
                    (o + plain.headerBytes).copyMemory(from: p + hdr + fieldBytes + i * groupCodes, byteCount: groupCodes)
                }
            }
        }
        return (plain, out)
    }
}
