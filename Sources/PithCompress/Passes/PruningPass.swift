/// A pass that prunes: its layers stay dense (f32, or the joint quantizer's codes) with exact zeros where pruned, and
/// its report gives each layer's sparsity. A later `pith quantize` keeps those zeros (`LinearLayer.mask`).
public protocol PruningPass: CompressionPass {
    /// How much and in what pattern it prunes.
    var target: SparsityTarget { get }
}
