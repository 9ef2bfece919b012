import Testing
@testable import PithTensor

@Test func ggmlTypeTableSizes() {
    #expect(GGMLType.q4_0.rowBytes(elements: 64) == 36)
    #expect(GGMLType.q4_1.rowBytes(elements: 576) == 360)
    #expect(GGMLType.q6_K.rowBytes(elements: 100) == nil)
}
