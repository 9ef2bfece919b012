import Foundation
import PithFormats

/// Which files of a Hugging Face folder a package carries as `Model/<i>/files/<path>` (docs/FORMAT.md, "A Hugging
/// Face folder in a package"): every file, hidden ones included, except those the package stores in sections of their
/// own (the weights and the tokenizer files) and the two folders below, which are not part of the model.
public enum FolderFiles {
    /// Top-level folders never carried: `.git` (version-control internals, which duplicate the weights as LFS objects)
    /// and `.cache` (huggingface_hub's download bookkeeping: timestamps and ETags of this machine's download).
    public static let excludedFolders: Set<String> = [".git", ".cache"]

    /// One file to carry: its path relative to the folder, and where to read it (a symbolic link's target).
    public struct Entry: Sendable, Equatable {
        public var relative: String
        public var url: URL
    }

    /// The files of `folder` to carry, sorted by relative path, leaving out `storedElsewhere` (relative paths) and the
    /// excluded folders. Symbolic links to files are followed (huggingface_hub's snapshots are links into a blob
    /// store); links to folders are not descended, and links that lead nowhere are refused, naming the link.
    public static func list(folder: URL, storedElsewhere: Set<String>) throws -> [Entry] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: folder.path) else {
            throw PackageFileError(path: folder.path, error: .missing("cannot list the folder"))
        }
        var entries: [Entry] = []
        while let next = walker.nextObject() as? String {
            let url = folder.appendingPathComponent(next)
            let type = (try? fm.attributesOfItem(atPath: url.path))?[.type] as? FileAttributeType
            if type == .typeDirectory {
                if !next.contains("/"), excludedFolders.contains(next) { walker.skipDescendants() }
                continue
            }
            guard !storedElsewhere.contains(next) else { continue }
            switch type {
            case .typeRegular?:
                entries.append(Entry(relative: next, url: url))
            case .typeSymbolicLink?:
                let target = url.resolvingSymlinksInPath()
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: target.path, isDirectory: &isDirectory) else {
                    throw PackageFileError(path: url.path, error: .missing("symbolic link to '\(target.path)', which does not exist"))
                }
                if !isDirectory.boolValue { entries.append(Entry(relative: next, url: target)) }
            default:
                continue  // sockets, pipes, devices: not files of a model
            }
        }
        return entries.sorted { $0.relative < $1.relative }
    }

    /// The relative paths of a Hugging Face folder that a package stores in sections of their own: the weights file(s)
    /// the safetensors reader opened, and `tokenizer.json` / `tokenizer_config.json`. A shard index stays an ordinary
    /// file, so a folder whose index names a single shard still comes back file for file.
    public static func storedInSections(folder: URL) throws -> Set<String> {
        var names: Set<String> = ["tokenizer.json", "tokenizer_config.json"]
        let root = folder.standardizedFileURL.path
        for file in try SafetensorsCollection(url: folder).files {
            let path = file.url.standardizedFileURL.path
            if path.hasPrefix(root + "/") { names.insert(String(path.dropFirst(root.count + 1))) }
        }
        return names
    }
}
