#!/usr/bin/env python3
"""Hugging Face `tokenizers` reference ids for the tokenizer parity tests (dev-only).

Builds SmolLM2's tokenizer.json from the GGUF metadata (vocab, merges, 17 special added tokens, the
pre-tokenizer of the real file: Sequence[Digits(individual_digits), ByteLevel(use_regex)]), encodes every
string in Tests/PithTokenizersTests/Data/strings.json, and writes smollm2-hf-ids.json there. The JSON is
built here independently of Pith's Swift exporter, so the Swift test checks that exporter too.

    python3 scripts/reference/hf_token_ids.py [MODEL.gguf]
"""
import json
import os
import pathlib
import sys

import gguf
import tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "Tests/PithTokenizersTests/Data"
HOME = pathlib.Path(os.environ.get("PITH_HOME") or pathlib.Path.home() / ".cache/pith")
MODEL = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HOME / "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def field(reader, key):
    f = reader.fields[key]
    if f.types[0] == gguf.GGUFValueType.ARRAY:
        if f.types[-1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
        return [int(f.parts[i][0]) for i in f.data]
    return f.parts[f.data[0]][0]


def tokenizer_json(reader) -> str:
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = field(reader, "tokenizer.ggml.merges")
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": types[i] == 3}
        for i, t in enumerate(tokens) if types[i] in (3, 4)
    ]
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges},
    })


def main() -> None:
    tok = tokenizers.Tokenizer.from_str(tokenizer_json(gguf.GGUFReader(str(MODEL))))
    strings = json.loads((DATA / "strings.json").read_text(encoding="utf-8"))

    def encode(text, parse_special):
        # encode_special_tokens=True keeps special tokens as plain text, like llama.cpp's parse_special=false.
        tok.encode_special_tokens = not parse_special
        return tok.encode(text, add_special_tokens=False).ids

    ids = {s["name"]: encode(s["text"], True) for s in strings}
    result = {
        "reference": f"huggingface tokenizers {tokenizers.__version__}",
        "model": MODEL.name,
        "ids": ids,
        "ids_no_parse_special": {s["name"]: encode(s["text"], False) for s in strings},
        "decoded": {name: tok.decode(v, skip_special_tokens=False) for name, v in ids.items()},
    }
    out = DATA / "smollm2-hf-ids.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(strings)} strings to {out}")


if __name__ == "__main__":
    main()
