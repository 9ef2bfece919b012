import Foundation

/// The double-quantized scales of an int matrix (K-quant style): per (row, super-block) an f16 `d` (and, asymmetric,
/// an f16 `dmin`), per (row, group) a 6-bit scale code `sc` (and min code `mc`).
///
/// A group's scale is `d·sc`; its minimum is `−dmin·mc` (the group minimum stored as a non-negative "min scale", as in
/// ggml's Q4_K), so the value of code q is `d·sc·q − dmin·mc` (asymmetric) or `d·sc·(q − 2^(bits−1))` (symmetric).
/// Pith writes `d` and `dmin` with at most 5 significant bits, so every `d·sc` and `dmin·mc` (≤ 11 significant bits)
/// is exactly an f16: the layout expands without loss into the plain int layout (f16 scale and minimum per group).
public struct SuperBlockScales: Sendable, Equatable {
    /// (rows, supers): the super-block scales, ≥ 0.
    public var d: [Float]
    /// (rows, supers): the super-block min scales, ≥ 0; empty when symmetric.
    public var dmin: [Float]
    /// (rows, groups): 6-bit scale codes.
    public var scaleCodes: [UInt8]
    /// (rows, groups): 6-bit min codes; empty when symmetric.
    public var minCodes: [UInt8]

    /// The largest 6-bit code.
    public static let maxCode = 63
    /// Significant bits of `d` and `dmin` as Pith writes them (5 + 6 ≤ f16's 11, so products are exact f16 values).
    public static let significantBits = 5

    public init(d: [Float], dmin: [Float], scaleCodes: [UInt8], minCodes: [UInt8]) {
        self.d = d
        self.dmin = dmin
        self.scaleCodes = scaleCodes
        self.minCodes = minCodes
    }

    /// The groups' scales `d·sc` and minimums `−dmin·mc` (empty when symmetric), (rows, groups) each.
    public func values(scheme: QuantScheme, cols: Int) -> (scales: [Float], mins: [Float]) {
        let perSuper = scheme.superBlock(cols: cols) / scheme.group(cols: cols)
        var scales = [Float](repeating: 0, count: scaleCodes.count)
        var mins = [Float](repeating: 0, count: minCodes.count)
        for g in 0..<scaleCodes.count { scales[g] = d[g / perSuper] * Float(scaleCodes[g]) }
        for g in 0..<minCodes.count { mins[g] = -(dmin[g / perSuper] * Float(minCodes[g])) }
        return (scales, mins)
    }

    // MARK: - Fitting

    /// Super-block scales for groups with float `scales` (≥ 0; negative ones count as 0) and `mins` (asymmetric:
    /// ≤ 0; positive ones count as 0), each (rows, groups), chosen per super-block by `fitCodes`.
    public static func fit(scales: [Float], mins: [Float], rows: Int, cols: Int, scheme: QuantScheme) -> SuperBlockScales {
        let perSuper = scheme.superBlock(cols: cols) / scheme.group(cols: cols)
        let supers = scales.count / max(perSuper, 1)
        var d = [Float](repeating: 0, count: supers), dmin = [Float](repeating: 0, count: mins.isEmpty ? 0 : supers)
        var sc = [UInt8](repeating: 0, count: scales.count), mc = [UInt8](repeating: 0, count: mins.count)
        var v = [Float](repeating: 0, count: perSuper)
        for s in 0..<supers {
            let first = s * perSuper
            for i in 0..<perSuper { v[i] = max(0, scales[first + i]) }
            d[s] = fitCodes(v, into: &sc, at: first)
            if !mins.isEmpty {
                for i in 0..<perSuper { v[i] = max(0, -mins[first + i]) }
                dmin[s] = fitCodes(v, into: &mc, at: first)
            }
        }
        return SuperBlockScales(d: d, dmin: dmin, scaleCodes: sc, minCodes: mc)
    }

    /// A super-block scale `d` (≤ 5 significant bits, an f16) and 6-bit codes (written to `codes[at…]`) with `d·code`
    /// close to each of `values` (≥ 0): candidates d = max/m for m = 63, 62.5 … 50 rounded to the grid, each also
    /// refitted by least squares (d = Σv·c / Σc²), keeping the one with the least Σ(v − d·c)².
    @discardableResult
    public static func fitCodes(_ values: [Float], into codes: inout [UInt8], at first: Int) -> Float {
        let vmax = values.reduce(Float(0)) { max($0, $1) }
        for i in 0..<values.count { codes[first + i] = 0 }
        guard vmax > 0, vmax.isFinite else { return 0 }
        var best: (d: Float, error: Float) = (0, values.reduce(0) { $0 + $1 * $1 })
        var trial = [UInt8](repeating: 0, count: values.count)
        func attempt(_ raw: Float) {
            let d = representable(raw)
            guard d > 0, d.isFinite else { return }
            var error: Float = 0
            for (i, x) in values.enumerated() {
                let c = min(Float(maxCode), (x / d).rounded())
                trial[i] = UInt8(c)
                error += (x - d * c) * (x - d * c)
            }
            if error < best.error {
                best = (d, error)
                for i in 0..<values.count { codes[first + i] = trial[i] }
            }
        }
        for step in 0...26 {
            attempt(vmax / (Float(maxCode) - 0.5 * Float(step)))
            var dot: Float = 0, norm: Float = 0
            for (i, x) in values.enumerated() {
                dot += x * Float(trial[i])
                norm += Float(trial[i]) * Float(trial[i])
            }
            if norm > 0 { attempt(dot / norm) }
        }
        return best.d
    }

    /// `x` rounded to `significantBits` significant bits and to the f16 grid; 0 when the two disagree (f16
    /// subnormals) or x is out of range, so every product with a 6-bit code stays an exact f16.
    public static func representable(_ x: Float) -> Float {
        guard x > 0, x.isFinite else { return 0 }
        let e = x.exponent  // x = 1.f · 2^e
        let unit = Float(sign: .plus, exponent: e - (significantBits - 1), significand: 1)
        let r = (x / unit).rounded() * unit
        let h = Half.toFloat(Half.fromFloat(r))
        return h == r && h.isFinite ? r : 0
    }

    // MARK: - 6-bit fields

    /// Writes `fields` (each < 64) as 6-bit little-endian fields at `p` (⌈6·count/8⌉ bytes, zeroed first).
    static func pack6(_ fields: UnsafePointer<UInt8>, count: Int, into p: UnsafeMutableRawPointer) {
        let bytes = (6 * count + 7) / 8
        for i in 0..<bytes { p.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        for k in 0..<count {
            let bit = 6 * k, word = UInt16(fields[k] & 63) << (bit % 8)
            let lo = p.load(fromByteOffset: bit / 8, as: UInt8.self)
            p.storeBytes(of: lo | UInt8(word & 0xFF), toByteOffset: bit / 8, as: UInt8.self)
            if bit % 8 > 2 {
                let hi = p.load(fromByteOffset: bit / 8 + 1, as: UInt8.self)
                p.storeBytes(of: hi | UInt8(word >> 8), toByteOffset: bit / 8 + 1, as: UInt8.self)
            }
        }
    }

    /// Field `k` of 6-bit little-endian fields at `p`.
    @inline(__always)
    static func field6(_ p: UnsafeRawPointer, _ k: Int) -> UInt8 {
        let bit = 6 * k
        var word = UInt16(BlockBytes.u8(p, bit / 8))
        if bit % 8 > 2 { word |= UInt16(BlockBytes.u8(p, bit / 8 + 1)) << 8 }
        return UInt8((word >> (bit % 8)) & 63)
    }
}
