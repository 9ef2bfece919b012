import Testing
@testable import PithCompress

@Suite struct PithCompressSmokeTests {
    @Test func moduleLinks() { #expect(Bool(true)) }
}
