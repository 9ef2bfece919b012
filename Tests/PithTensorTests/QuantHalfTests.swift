import Testing
@testable import PithTensor

@Suite struct QuantHalfTests {
    @Test func knownHalfValues() {
        #expect(Half.toFloat(0x3c00) == 1)
        #expect(Half.toFloat(0xc000) == -2)
        #expect(Half.toFloat(0x7bff) == 65504)
        #expect(Half.toFloat(0x0001) == 0x1p-24)  // smallest subnormal
        #expect(Half.toFloat(0x03ff) == 1023 * 0x1p-24)  // largest subnormal
        #expect(Half.toFloat(0x0400) == 0x1p-14)  // smallest normal
        #expect(Half.toFloat(0x8000).sign == .minus && Half.toFloat(0x8000) == 0)
        #expect(Half.toFloat(0x7c00) == .infinity)
        #expect(Half.toFloat(0xfc00) == -.infinity)
        #expect(Half.toFloat(0x7e00).isNaN)
        #expect(Half.toFloat(0x7c01).isNaN)
    }

    @Test func everyHalfRoundTrips() {
        for bits in UInt16.min...UInt16.max {
            let f = Half.toFloat(bits)
            if f.isNaN {
                #expect(Half.fromFloat(f) & 0x7c00 == 0x7c00 && Half.fromFloat(f) & 0x3ff != 0)
            } else {
                #expect(Half.fromFloat(f) == bits, "bits \(bits)")
            }
        }
    }

    @Test func halfRounding() {
        #expect(Half.fromFloat(65519) == 0x7bff)  // below the rounding boundary
        #expect(Half.fromFloat(65520) == 0x7c00)  // halfway to 2^16 rounds to infinity
        #expect(Half.fromFloat(1e10) == 0x7c00)
        #expect(Half.fromFloat(-1e10) == 0xfc00)
        #expect(Half.fromFloat(0x1p-25) == 0x0000)  // tie to even zero
        #expect(Half.fromFloat(0x1.000002p-25) == 0x0001)
        #expect(Half.fromFloat(3 * 0x1p-25) == 0x0002)  // tie 1.5 ulp → even 2
        #expect(Half.fromFloat(1 + 0x1p-11) == 0x3c00)  // tie → even
        #expect(Half.fromFloat(1 + 3 * 0x1p-11) == 0x3c02)
        #expect(Half.fromFloat(0x1.ffcp-15) == 0x0400)  // rounds up from subnormal into the smallest normal
        #expect(Half.fromFloat(.nan) & 0x7e00 == 0x7e00)
        #expect(Half.fromFloat(-.infinity) == 0xfc00)
    }

    #if !(os(macOS) && arch(x86_64))
    @Test func halfMatchesFloat16OnManyValues() {
        // Float16's conversion is the compiler's IEEE one: an independent reference for rounding.
        var state: UInt32 = 0x1234_5678
        for _ in 0..<200_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            let f = Float(bitPattern: state)
            if f.isNaN { continue }
            #expect(Half.fromFloat(f) == Float16(f).bitPattern, "value \(f)")
        }
    }
    #endif

    @Test func bfloat16() {
        #expect(BFloat16.toFloat(0x3f80) == 1)
        #expect(BFloat16.toFloat(0xc040) == -3)
        #expect(BFloat16.toFloat(0x0001) == Float(bitPattern: 0x0001_0000))  // subnormal, exact
        #expect(BFloat16.toFloat(0x7f80) == .infinity)
        #expect(BFloat16.toFloat(0x7fc1).isNaN)
        #expect(BFloat16.fromFloat(1) == 0x3f80)
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie → even
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie → even
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x3f80_8001)) == 0x3f81)
        #expect(BFloat16.fromFloat(.greatestFiniteMagnitude) == 0x7f80)  // rounds up to infinity
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x7f80_0001)) & 0x7fc0 == 0x7fc0)  // signalling NaN made quiet
        for bits in UInt16.min...UInt16.max where !BFloat16.toFloat(bits).isNaN {
            #expect(BFloat16.fromFloat(BFloat16.toFloat(bits)) == bits)
        }
    }
}
