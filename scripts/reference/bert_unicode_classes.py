#!/usr/bin/env python3
"""How Hugging Face `tokenizers` classifies every Unicode scalar in BERT normalization (dev-only).

Runs each of the 1,112,064 scalars through BertNormalizer (one step switched on at a time) and
BertPreTokenizer, and writes Tests/PithTokenizersTests/Data/bert-unicode-classes.json as ranges:

  removed      clean_text drops it (U+0000, U+FFFD, control)
  spaces       clean_text maps it to " " (whitespace other than " ")
  punctuation  BertPreTokenizer isolates it
  whitespace   BertPreTokenizer splits on it
  marks        strip_accents drops it (among scalars that NFD leaves alone)
  chinese      handle_chinese_chars puts spaces around it
  lowercase    lowercase changes it: {scalar: [scalars]}

    python3 scripts/reference/bert_unicode_classes.py
"""
import json
import pathlib

import tokenizers
from tokenizers import normalizers, pre_tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests/PithTokenizersTests/Data/bert-unicode-classes.json"


def bert(clean=False, chinese=False, strip=False, lower=False):
    return normalizers.BertNormalizer(clean_text=clean, handle_chinese_chars=chinese, strip_accents=strip, lowercase=lower)


def ranges(values):
    out = []
    for v in values:
        if out and out[-1][1] == v - 1:
            out[-1][1] = v
        else:
            out.append([v, v])
    return out


def main() -> None:
    clean, chinese, strip, lower = bert(clean=True), bert(chinese=True), bert(strip=True), bert(lower=True)
    nfd, pre = normalizers.NFD(), pre_tokenizers.BertPreTokenizer()
    sets = {k: [] for k in ["removed", "spaces", "punctuation", "whitespace", "marks", "chinese"]}
    lowercase = {}
    for value in range(0x110000):
        if 0xD800 <= value <= 0xDFFF:
            continue
        ch = chr(value)
        cleaned = clean.normalize_str(ch)
        if cleaned == "":
            sets["removed"].append(value)
        elif cleaned == " " and ch != " ":
            sets["spaces"].append(value)
        words = pre.pre_tokenize_str("a" + ch + "b")
        if len(words) == 3:
            sets["punctuation"].append(value)
        elif len(words) == 2:
            sets["whitespace"].append(value)
        if nfd.normalize_str(ch) == ch and strip.normalize_str("a" + ch) == "a":
            sets["marks"].append(value)
        if chinese.normalize_str(ch) != ch:
            sets["chinese"].append(value)
        lowered = lower.normalize_str(ch)
        if lowered != ch:
            lowercase[str(value)] = [ord(c) for c in lowered]
    result = {"reference": f"huggingface tokenizers {tokenizers.__version__}"}
    result.update({k: ranges(v) for k, v in sets.items()})
    result["lowercase"] = lowercase
    OUT.write_text(json.dumps(result, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({', '.join(f'{k}: {len(v)}' for k, v in sets.items())}, lowercase: {len(lowercase)})")


if __name__ == "__main__":
    main()
