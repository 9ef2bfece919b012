// MARK: - What beam search asks of a model

/// A model driven by `BeamSearch`: one state (e.g. a KV cache) per live beam, kept in slots the search permutes.
///
/// The protocol is shaped for an executor with a KV cache per beam: it is only ever asked to
/// advance each slot by that beam's newest token, and told explicitly how slots are inherited
/// between steps, so it can copy or permute caches instead of re-running whole prefixes.
public protocol BeamSearchModel {
    /// What the model's calls may throw; `Never` for a model that cannot fail.
    ///
    /// Inferred from the two methods; a model whose methods differ (one throws, one does not)
    /// must state it, e.g. `typealias Failure = any Error`.
    associatedtype Failure: Error = any Error

    /// Returns next-token logits, row-major (beams.count, vocab), for each live beam.
    ///
    /// `beams[i]` is the tokens generated so far by the beam in slot `i`; the model has already
    /// seen all but the last of them in that slot (on the first call there is one beam, with no
    /// tokens, and slot 0 holds the prompt). Raw logits suffice: the search applies log-softmax.
    mutating func logits(forBeams beams: [[Int32]]) throws(Failure) -> [Float]

    /// Re-seats the slots before the next `logits` call: new slot `i` takes the state of old slot `parentIndices[i]`.
    ///
    /// A gather: an index may repeat (a beam with two surviving children) or be missing (a
    /// pruned beam), and `parentIndices.count` is the number of beams live in the next step.
    mutating func reorder(parentIndices: [Int]) throws(Failure)
}

/// Adapts a stateless step function (prefixes → logits) to `BeamSearchModel`; it re-reads whole prefixes, so it needs no reordering.
struct StatelessBeamModel<Failure: Error>: BeamSearchModel {
    let step: ([[Int32]]) throws(Failure) -> [Float]

    func logits(forBeams beams: [[Int32]]) throws(Failure) -> [Float] { try step(beams) }
    func reorder(parentIndices: [Int]) throws(Failure) {}
}
