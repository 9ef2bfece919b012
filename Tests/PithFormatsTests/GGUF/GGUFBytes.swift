/// Builds GGUF bytes by hand, field by field, so reader tests do not depend on the writer.
struct GGUFBytes {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes.append(contentsOf: s.utf8) }

    mutating func header(version: UInt32 = 3, tensors: UInt64, kvs: UInt64) {
        bytes.append(contentsOf: Array("GGUF".utf8))
        u32(version)
        u64(tensors)
        u64(kvs)
    }

    mutating func kvString(_ key: String, _ value: String) { string(key); u32(8); string(value) }
    mutating func kvU32(_ key: String, _ value: UInt32) { string(key); u32(4); u32(value) }

    mutating func tensorInfo(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name)
        u32(UInt32(dims.count))
        for d in dims { u64(d) }
        u32(type)
        u64(offset)
    }

    mutating func pad(to alignment: Int) {
        while bytes.count % alignment != 0 { bytes.append(0) }
    }

    /// A small valid file: 4 metadata entries (string, u32, string array, f32 array) and two tensors
    /// (an F32 [4, 2] and a Q8_0 [32]) with known data.
    static func sample() -> (bytes: [UInt8], f32Offset: Int, q8Offset: Int) {
        var b = GGUFBytes()
        b.header(tensors: 2, kvs: 4)
        b.kvString("general.architecture", "llama")
        b.kvU32("llama.block_count", 2)
        b.string("tokenizer.ggml.tokens"); b.u32(9); b.u32(8); b.u64(3)
        b.string("a"); b.string("bé"); b.string("<s>")
        b.string("scores"); b.u32(9); b.u32(6); b.u64(2); b.f32(0.5); b.f32(-1.25)
        b.tensorInfo("w", dims: [4, 2], type: 0, offset: 0)
        b.tensorInfo("q", dims: [32], type: 8, offset: 32)
        b.pad(to: 32)
        let f32Offset = b.bytes.count
        for i in 0..<8 { b.f32(Float(i) * 0.5) }
        let q8Offset = b.bytes.count
        b.bytes += [0x00, 0x3c]  // f16 1.0
        for i in 0..<32 { b.bytes.append(UInt8(bitPattern: Int8(i - 16))) }
        return (b.bytes, f32Offset, q8Offset)
    }
}
