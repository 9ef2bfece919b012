#!/usr/bin/env python3
"""Hugging Face `tokenizers` reference splits for Pith's hand-written pre-tokenizer scanners (dev-only).

For every string in Tests/PithTokenizersTests/Data/strings.json and every pattern Pith scans by hand
(GPT-2, llama-3, Qwen2, and SmolLM2's Digits + GPT-2), runs the HF pre-tokenizer (Oniguruma regex) and
writes the pieces to Tests/PithTokenizersTests/Data/pretokenizer-splits.json.
"""
import json
import pathlib

import tokenizers
from tokenizers import Regex, pre_tokenizers as pt

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "Tests/PithTokenizersTests/Data"
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

KINDS = {
    "gpt2": pt.Split(Regex(GPT2), "isolated"),
    "smollm": pt.Sequence([pt.Digits(individual_digits=True), pt.Split(Regex(GPT2), "isolated")]),
    "llama3": pt.Split(Regex(LLAMA3), "isolated"),
    "qwen2": pt.Split(Regex(QWEN2), "isolated"),
}

strings = json.loads((DATA / "strings.json").read_text(encoding="utf-8"))
result = {"reference": f"huggingface tokenizers {tokenizers.__version__}", "splits": {
    kind: {s["name"]: [piece for piece, _ in p.pre_tokenize_str(s["text"])] for s in strings}
    for kind, p in KINDS.items()
}}
out = DATA / "pretokenizer-splits.json"
out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote splits for {len(strings)} strings × {len(KINDS)} patterns to {out}")
