import Foundation
@testable import PithGraph

/// The example of docs/REPRESENTATION.md, in the canonical layout `RepresentationCodec.export` writes:
/// ids → embedding (Q8_0 table) → RMSNorm → linear with bias (f16 weight) → SiLU → logits.
let toyGraphJSON = #"""
{
  "architecture": "toy",
  "family": "decoder-only",
  "format_version": "1.1",
  "graphs": [
    {
      "forward_graph_id": -1,
      "graph_id": 0,
      "inputs": ["token_ids"],
      "name": "main",
      "operators": [
        {
          "attributes": {},
          "inputs": {
            "ids": ["token_ids"],
            "weight": ["embed.weight"]
          },
          "name": "embed",
          "outputs": {
            "output": ["x"]
          },
          "type": "embedding"
        },
        {
          "attributes": {
            "epsilon": {
              "float": 1e-05
            }
          },
          "inputs": {
            "input": ["x"],
            "weight": ["norm.weight"]
          },
          "name": "norm",
          "outputs": {
            "output": ["h"]
          },
          "type": "rms_norm"
        },
        {
          "attributes": {},
          "inputs": {
            "bias": ["proj.bias"],
            "input": ["h"],
            "weight": ["proj.weight"]
          },
          "name": "proj",
          "outputs": {
            "output": ["y"]
          },
          "type": "linear"
        },
        {
          "attributes": {},
          "inputs": {
            "input": ["y"]
          },
          "name": "act",
          "outputs": {
            "output": ["logits"]
          },
          "type": "silu"
        }
      ],
      "outputs": ["logits"],
      "parent_graph_id": -1,
      "role": "main",
      "variables": [
        {
          "element_type": "i32",
          "encoding": {
            "kind": "dense",
            "type": "i32"
          },
          "is_parameter": false,
          "name": "token_ids",
          "shape": [-1]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "ggml",
            "type": "Q8_0"
          },
          "is_parameter": true,
          "name": "embed.weight",
          "shape": [10, 32]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": true,
          "name": "norm.weight",
          "shape": [32]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f16"
          },
          "is_parameter": true,
          "name": "proj.weight",
          "shape": [3, 32]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": true,
          "name": "proj.bias",
          "shape": [3]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": false,
          "name": "x",
          "shape": [-1, 32]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": false,
          "name": "h",
          "shape": [-1, 32]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": false,
          "name": "y",
          "shape": [-1, 3]
        },
        {
          "element_type": "f32",
          "encoding": {
            "kind": "dense",
            "type": "f32"
          },
          "is_parameter": false,
          "name": "logits",
          "shape": [-1, 3]
        }
      ]
    }
  ],
  "metadata": {
    "hidden_size": "32"
  },
  "name": "toy",
  "origin": "docs/REPRESENTATION.md",
  "version": "1"
}

"""#

struct FixtureEditMissing: Error, CustomStringConvertible {
    let text: String
    var description: String { "the fixture does not contain \(text.debugDescription)" }
}

/// The toy graph with each `(old, new)` replaced; throws when an `old` text is absent, so an edit cannot silently miss.
func toyGraph(_ edits: (String, String)...) throws -> String {
    var text = toyGraphJSON
    for (old, new) in edits {
        guard text.contains(old) else { throw FixtureEditMissing(text: old) }
        text = text.replacingOccurrences(of: old, with: new)
    }
    return text
}

/// The import error for a JSON text, or nil when it imports.
func importFailure(_ json: String, codec: RepresentationCodec = RepresentationCodec()) -> RepresentationError? {
    do {
        _ = try codec.import(Data(json.utf8), file: "toy.graph.json")
        return nil
    } catch let e as RepresentationError {
        return e
    } catch {
        return RepresentationError(file: "?", kind: .io, reason: "unexpected error type: \(error)")
    }
}
