/// Shape checks for the operators whose shapes are fixed by their parameters (so a mismatched weight is caught before running).
enum ShapeRules {
    /// Head counts and head sizes are at most 2^24 each, so products like heads·head_dim never overflow.
    static let maxHeadAttribute = 1 << 24

    /// Operators whose output has the features of one input, by the input's port: with these, every activation's width
    /// follows from the weights, so a graph file cannot declare an activation wider than its model.
    static let outputKeepsWidthOf: [String: String] = [
        "silu": "input", "gelu": "input", "relu": "input", "softmax": "input",
        "rms_norm": "input", "layer_norm": "input", "rope": "input", "gather_rows": "input",
        "add": "a", "mul": "a",
    ]

    static func check(_ node: OperatorNode, schema: OperatorSchema, declared: [String: VariableNode]) throws {
        func shape(_ port: String) -> [Int]? { node.input(port).flatMap { declared[$0]?.shape } }
        func fail(_ why: String) -> GraphValidator.Failure {
            GraphValidator.Failure("operator '\(node.name)' (\(node.type)): \(why)")
        }
        func lastDim(_ s: [Int]?) -> Int? { s?.last.flatMap { $0 >= 0 ? $0 : nil } }
        let outputWidth = lastDim(node.output("output").flatMap { declared[$0]?.shape })

        if let port = outputKeepsWidthOf[node.type], let x = lastDim(shape(port)), let y = outputWidth, x != y {
            throw fail("output has \(y) features, input '\(port)' has \(x)")
        }

        switch node.type {
        case "linear":
            guard let w = shape("weight"), w.count == 2 else { throw fail("weight must be 2-D (out_features, in_features)") }
            if let x = lastDim(shape("input")), x != w[1] { throw fail("input has \(x) features, weight expects \(w[1])") }
            if let b = shape("bias"), b != [w[0]] { throw fail("bias shape \(b) does not match \(w[0]) output features") }
            if let y = lastDim(node.output("output").flatMap { declared[$0]?.shape }), y != w[0] {
                throw fail("output has \(y) features, weight gives \(w[0])")
            }
        case "embedding":
            guard let w = shape("weight"), w.count == 2 else { throw fail("weight must be 2-D (vocabulary, features)") }
            if let y = lastDim(node.output("output").flatMap { declared[$0]?.shape }), y != w[1] {
                throw fail("output has \(y) features, table rows have \(w[1])")
            }
        case "rms_norm", "layer_norm":
            if let g = shape("weight"), let x = lastDim(shape("input")), g != [x] {
                throw fail("weight shape \(g) does not match \(x) features")
            }
        case "attention":
            let heads = schema.attribute("heads", of: node)?.int ?? 0
            let kvHeads = schema.attribute("kv_heads", of: node)?.int ?? 0
            let headDim = schema.attribute("head_dim", of: node)?.int ?? 0
            guard [heads, kvHeads, headDim].allSatisfy({ $0 <= maxHeadAttribute }) else {
                throw fail("heads, kv_heads and head_dim must each be at most \(maxHeadAttribute)")
            }
            guard heads > 0, kvHeads > 0, headDim > 0, heads % kvHeads == 0 else {
                throw fail("heads (\(heads)) must be a positive multiple of kv_heads (\(kvHeads)), head_dim > 0")
            }
            if let q = lastDim(shape("query")), q != heads * headDim { throw fail("query has \(q) features, expected \(heads * headDim)") }
            if let k = lastDim(shape("key")), k != kvHeads * headDim { throw fail("key has \(k) features, expected \(kvHeads * headDim)") }
            if let v = lastDim(shape("value")), v != kvHeads * headDim { throw fail("value has \(v) features, expected \(kvHeads * headDim)") }
            if let y = outputWidth, y != heads * headDim { throw fail("output has \(y) features, expected \(heads * headDim)") }
        case "rope":
            let heads = schema.attribute("heads", of: node)?.int ?? 0
            let headDim = schema.attribute("head_dim", of: node)?.int ?? 0
            let rotary = schema.attribute("rotary_dims", of: node)?.int ?? 0
            guard heads <= maxHeadAttribute, headDim <= maxHeadAttribute else {
                throw fail("heads and head_dim must each be at most \(maxHeadAttribute)")
            }
            guard heads > 0, headDim > 0, headDim % 2 == 0, rotary >= 0, rotary <= headDim, rotary % 2 == 0 else {
                throw fail("needs heads > 0, an even head_dim and 0 ≤ rotary_dims ≤ head_dim (even)")
            }
            if let x = lastDim(shape("input")), x != heads * headDim { throw fail("input has \(x) features, expected \(heads * headDim)") }
            let mode = schema.attribute("mode", of: node)?.string ?? ""
            guard mode == "interleaved" || mode == "half_split" else { throw fail("mode must be interleaved or half_split, is '\(mode)'") }
        case "pooling":
            let mode = schema.attribute("mode", of: node)?.string ?? ""
            guard ["mean", "cls", "max", "mean_sqrt_len"].contains(mode) else {
                throw fail("mode must be mean, cls, max or mean_sqrt_len, is '\(mode)'")
            }
        case "reshape":
            let target = schema.attribute("shape", of: node)?.ints ?? []
            guard target.allSatisfy({ $0 >= -1 }), target.filter({ $0 == -1 }).count <= 1 else {
                throw fail("shape \(target) may hold one -1 and no other negative size")
            }
            if let x = shape("input"), let xn = VariableNode.elementCount(of: x), let tn = VariableNode.elementCount(of: target), xn != tn {
                throw fail("cannot reshape \(x) into \(target)")
            }
        case "transpose":
            let perm = schema.attribute("perm", of: node)?.ints ?? []
            if let x = shape("input") {
                guard perm.count == x.count, Set(perm) == Set(0..<x.count) else { throw fail("perm \(perm) is not a permutation of \(x.count) axes") }
                if let y = node.output("output").flatMap({ declared[$0]?.shape }), y != perm.map({ x[$0] }) {
                    throw fail("output shape \(y) is not the input \(x) permuted by \(perm)")
                }
            }
        case "concat":
            let shapes = (node.inputs["inputs"] ?? []).compactMap { declared[$0]?.shape }
            guard let first = shapes.first else { break }
            var axis = schema.attribute("axis", of: node)?.int ?? -1
            if axis < 0 { axis += first.count }
            guard axis >= 0, axis < first.count else { throw fail("axis out of range for rank \(first.count)") }
            for s in shapes {
                guard s.count == first.count, s.indices.allSatisfy({ $0 == axis || s[$0] == first[$0] }) else {
                    throw fail("inputs \(first) and \(s) differ outside axis \(axis)")
                }
            }
        case "reduce", "broadcast", "allreduce", "reduce_scatter", "allgather":
            let ranks = schema.attribute("nranks", of: node)?.int ?? 0
            guard ranks >= 1 else { throw fail("nranks must be at least 1, is \(ranks)") }
            if let root = schema.attribute("root_id", of: node)?.int, root < 0 || root >= ranks {
                throw fail("root_id \(root) is not a rank of \(ranks)")
            }
        case "send", "recv":
            let peer = schema.attribute("peer", of: node)?.int ?? -1
            guard peer >= 0 else { throw fail("peer must be a rank (≥ 0), is \(peer)") }
        case "add", "mul":
            if let a = lastDim(shape("a")), let b = lastDim(shape("b")), a != b { throw fail("operands have \(a) and \(b) features") }
        default:
            break
        }
    }
}
