import Testing
@testable import PithTokenizers

@Suite struct ByteLevelTests {
    @Test func mapsEveryByteToADistinctCharacter() {
        #expect(Set(ByteLevel.characterForByte).count == 256)
        #expect(ByteLevel.byteForCharacter.count == 256)
    }

    @Test func knownCharacters() {
        // GPT-2's bytes_to_unicode: space → Ġ (U+0120), newline → Ċ (U+010A), tab → ĉ, printable bytes unchanged.
        #expect(ByteLevel.characterForByte[0x20] == "\u{120}")
        #expect(ByteLevel.characterForByte[0x0A] == "\u{10A}")
        #expect(ByteLevel.characterForByte[0x09] == "\u{109}")
        #expect(ByteLevel.characterForByte[0x41] == "A")
        #expect(ByteLevel.characterForByte[0xAD] == "\u{143}")
        #expect(ByteLevel.encode(Array(" héllo".utf8)) == "ĠhÃ©llo")
    }

    @Test func roundTripsBytes() {
        let bytes = (0...255).map(UInt8.init)
        #expect(ByteLevel.decode(ByteLevel.encode(bytes)) == bytes)
        #expect(ByteLevel.decode("not\u{2603}mapped") == nil)
    }
}
