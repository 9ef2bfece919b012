import Foundation
import PithTokenizers

/// Beam search over the executor: one KV cache per beam, copied when beams are reordered.
struct ExecutorBeams: BeamSearchModel {
    typealias Failure = any Error
    let lm: LanguageModel
    var states: [ExecutionState]
    var spare: [ExecutionState]
    let promptLogits: [Float]
    var first = true

    mutating func logits(forBeams beams: [[Int32]]) throws -> [Float] {
        if first {
            first = false
            return promptLogits
        }
        var all: [Float] = []
        all.reserveCapacity(beams.count * lm.vocabularySize)
        for (slot, beam) in beams.enumerated() {
            guard let last = beam.last else { throw ExecutionError("beam \(slot) has no token to feed") }
            all += try lm.nextTokenLogits([last], state: states[slot])
        }
        return all
    }

    mutating func reorder(parentIndices: [Int]) throws {
        while spare.count < parentIndices.count { spare.append(lm.makeState(capacity: states[0].capacity)) }
        for (slot, parent) in parentIndices.enumerated() {
            guard parent >= 0, parent < states.count else { throw ExecutionError("beam parent \(parent) out of range") }
            spare[slot].copy(from: states[parent])
        }
        let next = Array(spare[0..<parentIndices.count])
        spare = states + Array(spare[parentIndices.count...])
        states = next
    }
}

extension LanguageModel {
    /// Beam search: the best hypothesis by log-probability / length^penalty, emitted once at the end.
    func beamSearch(prompt: [Int32], options: GenerationOptions, capacity: Int, onText: (String) -> Void) throws -> GenerationResult {
        let root = makeState(capacity: capacity)
        let t0 = ContinuousClock.now
        let promptLogits = try nextTokenLogits(prompt, state: root)
        let promptSeconds = (ContinuousClock.now - t0).seconds
        let t1 = ContinuousClock.now
        var beams = ExecutorBeams(lm: self, states: [root], spare: [], promptLogits: promptLogits)
        let search = BeamSearch(beams: options.beams, maxTokens: options.maxTokens, endTokens: tokenizer.endOfGenerationTokenIDs)
        let hypotheses = try search.run(model: &beams)
        guard let best = hypotheses.first else { throw ExecutionError("beam search produced no hypothesis") }
        let tokens = best.tokens.filter { !tokenizer.endOfGenerationTokenIDs.contains($0) }
        var stop = StopCondition(maxTokens: Int.max, endTokens: [], stopStrings: options.stopStrings)
        var text = "", stopped = false
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        for id in tokens where !stopped {
            let (emit, s) = stop.feed(tokenID: id, text: decoder.append(id))
            text += emit
            stopped = s
        }
        if !stopped { text += stop.feed(tokenID: -1, text: decoder.finish()).emit + stop.finish() }
        onText(text)
        return GenerationResult(text: text, tokens: tokens, promptTokens: prompt.count, promptSeconds: promptSeconds,
                                generationSeconds: (ContinuousClock.now - t1).seconds,
                                finishReason: stopped ? .stopString : (best.finished ? .endToken : .maxTokens))
    }
}
