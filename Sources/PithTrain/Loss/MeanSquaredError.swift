/// Mean squared error: Σ (y − target)² / count, over every element.
public struct MeanSquaredError: Sendable {
    public init() {}

    public func callAsFunction<T>(_ y: Matrix<T>, target: Matrix<T>) throws -> LossValue<T> {
        guard y.rows == target.rows, y.cols == target.cols else {
            throw TrainingError("prediction (\(y.rows), \(y.cols)) and target (\(target.rows), \(target.cols)) differ in shape")
        }
        var gradient = Matrix<T>(rows: y.rows, cols: y.cols)
        guard !y.values.isEmpty else { return LossValue(value: 0, gradient: gradient) }
        let n = T(y.values.count)
        var total: Double = 0
        for i in y.values.indices {
            let d = y.values[i] - target.values[i]
            total += Double(d * d)
            gradient.values[i] = 2 * d / n
        }
        return LossValue(value: total / Double(y.values.count), gradient: gradient)
    }
}
