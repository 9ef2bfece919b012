/// Reference conversions between f32 and the dense float types (one "block" = one element).
enum DenseCodec {
    static func dequantizeF32(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutablePointer<Float>) {
        for i in 0..<n { dst[i] = Float(bitPattern: BlockBytes.u32(src, 4 * i)) }
    }

    static func dequantizeF16(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutablePointer<Float>) {
        for i in 0..<n { dst[i] = BlockBytes.f16(src, 2 * i) }
    }

    static func dequantizeBF16(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutablePointer<Float>) {
        for i in 0..<n { dst[i] = BFloat16.toFloat(BlockBytes.u16(src, 2 * i)) }
    }

    static func quantizeF32(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutableRawPointer) {
        for i in 0..<n { BlockBytes.storeU32(src[i].bitPattern, dst, 4 * i) }
    }

    static func quantizeF16(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutableRawPointer) {
        for i in 0..<n { BlockBytes.storeU16(Half.fromFloat(src[i]), dst, 2 * i) }
    }

    static func quantizeBF16(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutableRawPointer) {
        for i in 0..<n { BlockBytes.storeU16(BFloat16.fromFloat(src[i]), dst, 2 * i) }
    }
}
