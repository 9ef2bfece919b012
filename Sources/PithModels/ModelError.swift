/// Why a model could not be loaded or built; each case reads as one line naming the file and the fault.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case unknownAlias(String, known: [String])
    case aliasNotFetched(alias: String, path: String)
    case unsupportedArchitecture(file: String, architecture: String)
    case missingKey(file: String, key: String)
    case badConfiguration(String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case missingTokenizer(String)
    case invalid(file: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let path): "\(path): no such file or folder"
        case .unknownAlias(let name, let known): "\(name): not a file, folder or known model alias (aliases: \(known.joined(separator: ", ")))"
        case .aliasNotFetched(let alias, let path): "\(alias): model not fetched yet (expected at \(path)); run `make models`"
        case .unsupportedArchitecture(let file, let arch): "\(file): unsupported architecture '\(arch)'"
        case .missingKey(let file, let key): "\(file): missing metadata key '\(key)'"
        case .badConfiguration(let why): "bad model configuration: \(why)"
        case .missingTensor(let file, let tensor): "\(file): missing tensor '\(tensor)'"
        case .shapeMismatch(let file, let tensor, let expected, let found):
            "\(file): tensor '\(tensor)' has shape \(found), the architecture expects \(expected)"
        case .missingTokenizer(let file): "\(file): no tokenizer (expected tokenizer.json or tokenizer.ggml.* metadata)"
        case .invalid(let file, let reason): "\(file): \(reason)"
        }
    }
}
