import Foundation
import Testing
import PithFormats
import PithModels
import PithTensor
@testable import PithPackaging
@testable import PithRuntime

/// The files of `folder`, relative and sorted, found by a walk of its own (not `FolderFiles`): links to files count as
/// files, and top-level folders named in `skipping` are left out.
func regularFiles(under folder: URL, skipping: Set<String> = []) throws -> [String] {
    let fm = FileManager.default
    let walker = try #require(fm.enumerator(atPath: folder.path))
    var files: [String] = []
    while let relative = walker.nextObject() as? String {
        if let top = relative.split(separator: "/").first, skipping.contains(String(top)) { continue }
        var isDirectory: ObjCBool = false
        // fileExists follows links, so a link to a file is a file here.
        if fm.fileExists(atPath: folder.appendingPathComponent(relative).path, isDirectory: &isDirectory), !isDirectory.boolValue {
            files.append(relative)
        }
    }
    return files.sorted()
}

/// A Hugging Face folder through pack → unpack, as docs/FORMAT.md ("A Hugging Face folder in a package") promises:
/// every file comes back byte for byte — hidden files, nested folders and files behind symbolic links included — except
/// the top-level `.git` and `.cache` folders, which are not carried.
@Suite struct FolderRoundTripTests {
    /// A tiny Llama written as a Hugging Face folder, with the clutter real folders have.
    static func clutteredFolder(weightsFile: String = "model.safetensors") throws -> (folder: URL, outside: URL) {
        let root = temporaryURL("hf-folder")
        let folder = root.appendingPathComponent("tiny-llama")
        try HuggingFaceExporter.write(try tinyModel(seed: 3), to: folder)
        if weightsFile != "model.safetensors" {
            try FileManager.default.moveItem(at: folder.appendingPathComponent("model.safetensors"),
                                             to: folder.appendingPathComponent(weightsFile))
        }
        func put(_ relative: String, _ text: String) throws {
            let url = folder.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try put(".gitattributes", "*.safetensors filter=lfs diff=lfs merge=lfs -text\n")
        try put("README.md", "# tiny\n")
        try put("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}\n")
        try put("2_Dense/model.safetensors", "not the model's weights, only a file of the folder")
        try put(".hidden/notes.txt", "kept: only the top-level .git and .cache are left out\n")
        try put(".git/HEAD", "ref: refs/heads/main\n")
        try put(".cache/huggingface/download/model.safetensors.metadata", "etag\n")
        // huggingface_hub's snapshots are symbolic links into a blob store.
        let outside = root.appendingPathComponent("blobs/abc123")
        try FileManager.default.createDirectory(at: outside.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("linked vocabulary\n".utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("vocab.txt"), withDestinationURL: outside)
        return (folder, root)
    }

    /// A model read from a folder has no management info of its own.
    static var options: Packer.Options {
        var options = Packer.Options()
        options.meta = DefaultModels.meta
        return options
    }

    static func packAndUnpack(_ folder: URL) throws -> (package: URL, unpacked: URL) {
        let model = try Model.load(folder.path)
        let url = temporaryURL("folder.pith")
        try Packer.pack([model], options: Self.options, to: url)
        let out = temporaryURL("folder-unpacked")
        try Unpacker.unpack(try PackageReader(url: url), to: out)
        return (url, out.appendingPathComponent("Model/" + folder.lastPathComponent))
    }

    @Test func everyFileButGitAndCacheComesBackByteForByte() throws {
        let (folder, root) = try Self.clutteredFolder()
        let (package, unpacked) = try Self.packAndUnpack(folder)
        defer {
            for url in [root, package, unpacked.deletingLastPathComponent().deletingLastPathComponent()] { try? FileManager.default.removeItem(at: url) }
        }
        let expected = try regularFiles(under: folder, skipping: FolderFiles.excludedFolders)
        #expect(expected.contains(".gitattributes") && expected.contains("vocab.txt") && expected.contains("2_Dense/model.safetensors"))
        #expect(!expected.contains { $0.hasPrefix(".git/") || $0.hasPrefix(".cache/") })
        #expect(try regularFiles(under: unpacked) == expected)
        for relative in expected {
            #expect(try Data(contentsOf: unpacked.appendingPathComponent(relative)) == Data(contentsOf: folder.appendingPathComponent(relative)),
                    "\(relative)")
        }
    }

    @Test func aWeightsFileNotCalledModelSafetensorsKeepsItsName() throws {
        let (folder, root) = try Self.clutteredFolder(weightsFile: "weights.safetensors")
        let (package, unpacked) = try Self.packAndUnpack(folder)
        defer {
            for url in [root, package, unpacked.deletingLastPathComponent().deletingLastPathComponent()] { try? FileManager.default.removeItem(at: url) }
        }
        #expect(try regularFiles(under: unpacked) == regularFiles(under: folder, skipping: FolderFiles.excludedFolders))
        #expect(try Data(contentsOf: unpacked.appendingPathComponent("weights.safetensors"))
                == Data(contentsOf: folder.appendingPathComponent("weights.safetensors")))
    }

    @Test func aLinkThatLeadsNowhereIsRefusedNamingIt() throws {
        let (folder, root) = try Self.clutteredFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("dangling.json"),
                                                   withDestinationURL: root.appendingPathComponent("gone.json"))
        let model = try Model.load(folder.path)
        let url = temporaryURL("dangling.pith")
        defer { try? FileManager.default.removeItem(at: url) }
        let error = try #require(throws: PackageFileError.self) { try Packer.pack([model], options: Self.options, to: url) }
        #expect(error.path.hasSuffix("dangling.json"))
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }
}
