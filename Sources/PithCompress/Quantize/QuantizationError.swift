import PithTensor

/// A weight, statistics or option that a quantization algorithm cannot work with, described on one line.
public struct QuantizationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Checks shared by every algorithm's entry point, so each throws the same one-line errors.
enum QuantizationInput {
    /// Throws unless `weight` is a finite (rows, cols) matrix that `scheme` can store.
    static func validate(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme, name: String = "weight") throws {
        guard rows > 0, cols > 0 else { throw QuantizationError("\(name): shape \(rows)×\(cols) is empty or negative") }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, weight.count == count else {
            throw QuantizationError("\(name): \(weight.count) values for a \(rows)×\(cols) matrix")
        }
        if let why = scheme.problem(cols: cols) { throw QuantizationError("\(name): \(scheme): \(why)") }
        if scheme.format == .nf4 || scheme.format == .fp4, count % scheme.groupSize != 0 {
            throw QuantizationError("\(name): \(count) values do not split into \(scheme) blocks of \(scheme.groupSize)")
        }
        if let bad = weight.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError("\(name): value \(weight[bad]) at row \(bad / cols), column \(bad % cols) is not finite")
        }
    }

    /// Throws unless `statistics` describe `cols` input features over at least one token.
    static func validate(_ statistics: InputStatistics, cols: Int, needsGram: Bool) throws {
        if let why = statistics.problem { throw QuantizationError("input statistics: \(why)") }
        guard statistics.features == cols else {
            throw QuantizationError("input statistics have \(statistics.features) features; the weight has \(cols) columns")
        }
        guard statistics.tokens > 0 else { throw QuantizationError("input statistics hold no tokens") }
        if needsGram && statistics.gram.count != cols * cols {
            throw QuantizationError("input statistics were collected without the Gram matrix (keepGram: false)")
        }
    }
}
