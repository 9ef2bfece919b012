import PithKernels

extension Kernels {
    /// RMSNorm per row: output = x / sqrt(mean(x²) + ε) · weight; x, output (rows, cols), weight (cols).
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float, rows: Int, cols: Int,
                               output: UnsafeMutablePointer<Float>) {
        pith_rms_norm(x, weight, epsilon, Int64(rows), Int64(cols), output)
    }

    /// LayerNorm per row: (x - mean) / sqrt(var + ε) · weight + bias; weight and bias (cols) optional.
    public static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
                                 epsilon: Float, rows: Int, cols: Int, output: UnsafeMutablePointer<Float>) {
        pith_layer_norm(x, weight, bias, epsilon, Int64(rows), Int64(cols), output)
    }

    /// SiLU in place: x · σ(x).
    public static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) { pith_silu(x, Int64(count)) }

    /// GELU in place, erf form: x · Φ(x).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { pith_gelu_pool(ThreadPool.shared.handle, x, Int64(count)) }

    /// SwiGLU: output = silu(gate) · up (all count). output may alias gate or up.
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        pith_swiglu(gate, up, Int64(count), output)
    }

    /// Softmax in place over each row of x (rows, cols); a row of all -inf becomes zeros.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        pith_softmax(x, Int64(rows), Int64(cols))
    }

    /// output = a + b elementwise (count); output may alias an input.
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        pith_add(a, b, Int64(count), output)
    }

    /// output = a · b elementwise (count); output may alias an input.
    public static func mul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int, output: UnsafeMutablePointer<Float>) {
        pith_mul(a, b, Int64(count), output)
    }
}
