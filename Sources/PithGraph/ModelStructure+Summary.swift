extension ModelStructure {
    /// Counts over every graph of a structure, for one-line reports (`pith graph check`).
    public struct Summary: Codable, Sendable, Equatable, CustomStringConvertible {
        public var formatVersion: String
        public var graphs: Int
        public var operators: Int
        public var variables: Int
        /// Parameter variables (weights), and the elements they hold.
        public var parameters: Int
        public var parameterElements: Int

        enum CodingKeys: String, CodingKey {
            case graphs, operators, variables, parameters
            case formatVersion = "format_version"
            case parameterElements = "parameter_elements"
        }

        public var description: String {
            "format \(formatVersion), \(graphs) graph\(graphs == 1 ? "" : "s"), \(operators) operators, \(variables) variables, "
                + "\(parameters) parameters (\(parameterElements) elements)"
        }
    }

    public var summary: Summary {
        let parameters = graphs.flatMap(\.variables).filter(\.isParameter)
        return Summary(formatVersion: formatVersion, graphs: graphs.count,
                       operators: graphs.reduce(0) { $0 + $1.operators.count },
                       variables: graphs.reduce(0) { $0 + $1.variables.count },
                       parameters: parameters.count,
                       parameterElements: parameters.reduce(0) { $0.saturatingAdd($1.elementCount ?? 0) })
    }
}
