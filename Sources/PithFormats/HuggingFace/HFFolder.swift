import Foundation

/// A Hugging Face model folder: `config.json` (required), tokenizer files when present, and safetensors weights
/// (single or sharded) opened on request.
public struct HFFolder: Sendable {
    /// A missing or unreadable file of the folder, described on one line naming it.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let path: String
        public let fault: String
        public var description: String { "\(path): \(fault)" }
    }

    public let url: URL
    /// The parsed `config.json`.
    public let config: JSONValue
    public let configURL: URL
    /// `tokenizer.json`, when the folder has one.
    public let tokenizerURL: URL?
    /// `tokenizer_config.json`, when the folder has one.
    public let tokenizerConfigURL: URL?
    /// `generation_config.json`, when the folder has one.
    public let generationConfigURL: URL?

    /// Reads the folder at `url`; fails naming `config.json` when it is missing or not a JSON object.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(path: url.path, fault: "not a folder")
        }
        configURL = url.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw Failure(path: url.path, fault: "no config.json in the model folder")
        }
        do {
            config = try JSONValue.parse(try Data(contentsOf: configURL))
        } catch {
            throw Failure(path: configURL.path, fault: "cannot read as JSON")
        }
        guard config.object != nil else { throw Failure(path: configURL.path, fault: "is not a JSON object") }
        func optional(_ name: String) -> URL? {
            let file = url.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: file.path) ? file : nil
        }
        tokenizerURL = optional("tokenizer.json")
        tokenizerConfigURL = optional("tokenizer_config.json")
        generationConfigURL = optional("generation_config.json")
    }

    /// `config.json`'s `architectures[0]` (e.g. "LlamaForCausalLM"), or its `model_type` when that list is absent.
    public var architecture: String? {
        config["architectures"]?.array?.first?.string ?? config["model_type"]?.string
    }

    /// `tokenizer.json`, or an error naming it when the folder has none.
    public func requireTokenizer() throws -> URL {
        guard let tokenizerURL else { throw Failure(path: url.path, fault: "no tokenizer.json in the model folder") }
        return tokenizerURL
    }

    /// Opens the folder's safetensors weights (index, model.safetensors, or the only *.safetensors files).
    public func weights() throws -> SafetensorsCollection {
        try SafetensorsCollection(url: url)
    }
}
