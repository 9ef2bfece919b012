import Foundation
import PithGraph

/// Drives the representation reader the way `pith inspect` does, and checks that what it accepts round-trips.
enum GraphHarness {
    static func run(_ input: [UInt8]) {
        let codec = RepresentationCodec()
        guard let structure = attempt("RepresentationCodec.import", { try codec.import(Data(input), file: "structure.json") }) else {
            return
        }
        for graph in structure.graphs {
            _ = GraphStatistics(graph: graph).report(context: 2048)
        }
        // A structure the reader accepted must export, and read back as itself (bar the version stamp).
        guard let exported = attempt("RepresentationCodec.export", { try codec.export(structure) }) else {
            fatalError("pith-fuzz: an imported structure does not export")
        }
        guard var reread = attempt("re-import", { try codec.import(exported, file: "exported.json") }) else {
            fatalError("pith-fuzz: an exported structure does not import")
        }
        reread.formatVersion = structure.formatVersion
        if reread != structure { fatalError("pith-fuzz: a structure changed on export and import") }
    }
}
