#!/usr/bin/env python3
"""llama.cpp reference ids for the tokenizer parity tests (dev-only).

Runs llama-tokenize over every string in Tests/PithTokenizersTests/Data/strings.json, with and without
special-token parsing, and writes Tests/PithTokenizersTests/Data/smollm2-llama.cpp-ids.json.

    LLAMA_BIN=/tmp/llama.cpp/build/bin python3 scripts/reference/gguf_token_ids.py [MODEL.gguf]
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "Tests/PithTokenizersTests/Data"
HOME = pathlib.Path(os.environ.get("PITH_HOME") or pathlib.Path.home() / ".cache/pith")
MODEL = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HOME / "models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
TOKENIZE = pathlib.Path(os.environ.get("LLAMA_BIN", "/tmp/llama.cpp/build/bin")) / "llama-tokenize"


def tokenize(text: str, parse_special: bool) -> list[int]:
    if text == "":
        return []  # llama-tokenize refuses an empty prompt; llama_tokenize("") is [] without BOS
    with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as f:
        f.write(text.encode("utf-8"))
        path = f.name
    try:
        # -f with --no-escape passes the bytes through untouched (no \n processing, no trimming).
        args = [str(TOKENIZE), "-m", str(MODEL), "-f", path, "--ids", "--log-disable", "--no-escape"]
        if not parse_special:
            args.append("--no-parse-special")
        out = subprocess.run(args, check=True, capture_output=True).stdout.decode()
    finally:
        os.unlink(path)
    line = [l for l in out.splitlines() if l.startswith("[")][-1]
    return json.loads(line)


def main() -> None:
    strings = json.loads((DATA / "strings.json").read_text(encoding="utf-8"))
    result = {
        "reference": "llama.cpp llama-tokenize",
        "model": MODEL.name,
        "ids": {s["name"]: tokenize(s["text"], True) for s in strings},
        "ids_no_parse_special": {s["name"]: tokenize(s["text"], False) for s in strings},
    }
    out = DATA / "smollm2-llama.cpp-ids.json"
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(strings)} strings to {out}")


if __name__ == "__main__":
    main()
