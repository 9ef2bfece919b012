/// One batch for the engine: `sequences` equal-length sequences laid one after another as rows (batch·sequence).
public struct TrainingBatch<T: TrainScalar>: Sendable {
    /// Every integer graph input by name, one entry per row (token_ids, positions, output_rows, attention_mask …).
    public var integers: [String: [Int32]]
    /// Float graph inputs (activations fed from outside, e.g. a segment of a graph), by name.
    public var floats: [String: Matrix<T>]
    /// Rows: tokens in the batch, all sequences together.
    public var rows: Int
    /// How many equal-length sequences the rows hold; attention and pooling stay within each.
    public var sequences: Int

    public init(integers: [String: [Int32]], floats: [String: Matrix<T>] = [:], rows: Int, sequences: Int = 1) {
        self.integers = integers
        self.floats = floats
        self.rows = rows
        self.sequences = sequences
    }

    /// Tokens per sequence.
    public var sequenceLength: Int { sequences > 0 ? rows / sequences : 0 }
}
