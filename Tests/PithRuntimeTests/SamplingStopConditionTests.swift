import Testing
@testable import PithRuntime

/// Feeds `(token, text)` pairs until a stop; returns everything emitted (finish() included) and the index that stopped.
private func run(_ condition: inout StopCondition, _ pieces: [(Int32, String)]) -> (text: String, stoppedAt: Int?) {
    var text = ""
    for (i, (id, piece)) in pieces.enumerated() {
        let (emit, stop) = condition.feed(tokenID: id, text: piece)
        text += emit
        if stop { return (text, i) }
    }
    return (text + condition.finish(), nil)
}

@Suite("StopCondition")
struct SamplingStopConditionTests {
    @Test func stopStringAcrossTokenBoundariesIsNotEmitted() {
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["STOP"])
        #expect(c.feed(tokenID: 1, text: "Hello S") == ("Hello ", false))   // "S" held back
        #expect(c.feed(tokenID: 2, text: "TO") == ("", false))              // "STO" held back
        #expect(c.feed(tokenID: 3, text: "P and more") == ("", true))
        #expect(c.feed(tokenID: 4, text: "late") == ("", true))             // stays stopped
        #expect(c.finish() == "")
    }

    @Test func heldBackTextIsReleasedWhenItStopsMatching() {
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["STOP"])
        #expect(c.feed(tokenID: 1, text: "ab S") == ("ab ", false))
        #expect(c.feed(tokenID: 2, text: "ST") == ("S", false))   // "SST": the first S can no longer start "STOP"
        #expect(c.feed(tokenID: 3, text: "un") == ("STun", false))
        #expect(c.feed(tokenID: 4, text: "ST") == ("", false))
        #expect(c.finish() == "ST")                               // generation ended elsewhere: release it
    }

    @Test func overlappingPrefixesAreResolvedCorrectly() {
        // "aaab" contains "aab" at offset 1: only the first "a" is real output.
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["aab"])
        let r = run(&c, [(1, "a"), (1, "a"), (1, "a"), (1, "b")])
        #expect(r.text == "a" && r.stoppedAt == 3)
    }

    @Test func earliestOfSeveralStopStringsWins() {
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["world", "lo w", ""])
        let r = run(&c, [(1, "hel"), (2, "lo world!")])
        #expect(r.text == "hel" && r.stoppedAt == 1)
    }

    @Test func stopStringInsideOneTokenKeepsTheTextBeforeIt() {
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["\n\n"])
        let r = run(&c, [(1, "First line."), (2, "\n\nSecond")])
        #expect(r.text == "First line." && r.stoppedAt == 1)
    }

    @Test func endTokenStopsReleasesHeldTextAndHidesItsOwnText() {
        var c = StopCondition(maxTokens: 100, endTokens: [2], stopStrings: ["STOP"])
        #expect(c.feed(tokenID: 1, text: "Hi S") == ("Hi ", false))
        #expect(c.feed(tokenID: 2, text: "<|im_end|>") == ("S", true))
    }

    @Test func maxTokensStopsAfterEmittingTheLastToken() {
        var c = StopCondition(maxTokens: 3, endTokens: [], stopStrings: ["STOP"])
        let r = run(&c, [(1, "one "), (1, "two "), (1, "S"), (1, "TOP")])
        #expect(r.text == "one two S" && r.stoppedAt == 2)
    }

    @Test func multiByteTextIsSplitOnlyAtCharacterBoundaries() {
        var c = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["é!"])
        #expect(c.feed(tokenID: 1, text: "café") == ("caf", false))
        #expect(c.feed(tokenID: 2, text: "!") == ("", true))
        var d = StopCondition(maxTokens: 100, endTokens: [], stopStrings: ["é!"])
        #expect(run(&d, [(1, "café"), (2, "?")]).text == "café?")
    }
}
