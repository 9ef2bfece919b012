import Testing
@testable import PithPackaging

@Test func formatVersionIsOne() {
    #expect(PithPackage.formatVersion.major == 1)
}
