/// A row-major (rows, cols) matrix: an activation of `rows` tokens × `cols` features, or a parameter viewed as
/// (product of its leading dimensions, last dimension).
public struct Matrix<T: TrainScalar>: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// rows · cols values, row-major.
    public var values: [T]

    /// A matrix of zeros.
    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        values = [T](repeating: 0, count: rows * cols)
    }

    /// Wraps `values`; throws when their count is not rows · cols.
    public init(rows: Int, cols: Int, values: [T]) throws {
        guard rows >= 0, cols >= 0, values.count == rows * cols else {
            throw TrainingError("a (\(rows), \(cols)) matrix needs \(max(rows, 0) * max(cols, 0)) values, got \(values.count)")
        }
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    /// Wraps values whose count the caller has already made rows · cols.
    init(uncheckedRows rows: Int, cols: Int, values: [T]) {
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    public subscript(row: Int, col: Int) -> T {
        get { values[row * cols + col] }
        set { values[row * cols + col] = newValue }
    }
}
