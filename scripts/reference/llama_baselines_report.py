#!/usr/bin/env python3
"""Builds llama-baselines.json from the logs llama_baselines.sh leaves in its output folder.

Schema (snake_case; optional fields may be null):
  { "text": path, "context": 512, "chunks": N, "base": ROW, "rows": [ROW...] }
  ROW = { "name", "tool": "llama.cpp", "method", "source", "parameters", "bits_per_weight", "size_bytes",
          "perplexity", "perplexity_delta", "kl_mean", "kl_p99", "top1_agreement", "quantize_seconds",
          "prompt_tokens_per_second", "generation_tokens_per_second", "notes" }

"source" is the GGUF file measured (as PithEval's ComparisonRow has it); what it was made from is in the notes. Bits
per weight are computed from the tensor types over all parameters; llama-quantize's own figure (its "quant size" MiB ×
2^23 ÷ parameters) is kept in the notes, with the tensor types, the perplexity's ± and the KLD's ±.
"""
import argparse
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_info  # noqa: E402

CONTEXT = 512
METHODS = ["Q4_1", "Q4_0", "Q4_K_M", "Q3_K_M", "Q2_K"]


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def number(pattern, text, group=1):
    m = re.search(pattern, text, re.MULTILINE)
    return float(m.group(group)) if m else None


def quantize_figures(d, name):
    """The shortest quantization time over the first run and any re-timed ones, and the tensor MiB it reports."""
    times, mib = [], None
    for path in sorted(glob.glob(os.path.join(d, f"quantize-{name}.log")) + glob.glob(os.path.join(d, f"quantize-{name}.retime-*.log"))):
        log = read(path)
        ms = number(r"main: quantize time =\s*([0-9.]+) ms", log)
        if ms is not None:
            times.append(ms / 1000)
        mib = mib or number(r"quant size\s*=\s*([0-9.]+) MB", log)
    return (min(times) if times else None), mib, len(times)


def bench(d, name):
    """Best (highest mean) pp128 and tg64 tokens/s over every llama-bench run kept for this model."""
    pp, tg, runs = None, None, 0
    for path in sorted(glob.glob(os.path.join(d, f"bench-{name}.*.json"))):
        try:
            results = json.loads(read(path))
        except json.JSONDecodeError:
            continue
        runs += 1
        for r in results:
            if r.get("n_prompt", 0) > 0 and r.get("n_gen", 0) == 0:
                pp = max(pp or 0, r["avg_ts"])
            if r.get("n_gen", 0) > 0 and r.get("n_prompt", 0) == 0:
                tg = max(tg or 0, r["avg_ts"])
    return pp, tg, runs


def tensor_types(info):
    by_type = gguf_info.summary(info)["by_type"]
    return ", ".join(f"{t} ×{v['tensors']}" for t, v in sorted(by_type.items(), key=lambda kv: -kv[1]["elements"]))


def row(d, name, method, path, base_ppl):
    info = gguf_info.read(path)
    s = gguf_info.summary(info)
    seconds, quant_mib, quant_runs = quantize_figures(d, name)
    pp, tg, runs = bench(d, name)
    blocks = [t for t in info["tensors"] if t["name"].startswith("blk.") and len(t["dims"]) == 2]
    block_bpw = 8 * sum(t["bytes"] for t in blocks) / sum(t["elements"] for t in blocks)
    notes = [f"tensor types: {tensor_types(info)}", f"{block_bpw:.3f} bpw over the blocks' linear weights (token_embd excluded)"]
    if quant_mib is not None:
        notes.append(f"llama-quantize reports {quant_mib:.2f} MiB of tensors = {quant_mib * 8 * 2**20 / s['parameters']:.3f} bpw")
    r = {"name": f"llama.cpp {method}", "tool": "llama.cpp", "method": method, "source": path, "parameters": s["parameters"],
         "bits_per_weight": round(s["bits_per_weight"], 4), "size_bytes": os.path.getsize(path),
         "perplexity": None, "perplexity_delta": None, "kl_mean": None, "kl_p99": None, "top1_agreement": None,
         "quantize_seconds": round(seconds, 3) if seconds is not None else None,
         "prompt_tokens_per_second": round(pp, 2) if pp else None,
         "generation_tokens_per_second": round(tg, 2) if tg else None}
    kld_path = os.path.join(d, f"kld-{name}.log")
    if os.path.exists(kld_path):
        log = read(kld_path)
        m = re.search(r"Mean PPL\(Q\)\s*:\s*([0-9.]+)\s*±\s*([0-9.]+)", log)
        if m:
            # PPL(Q) is the model's own (at 10 chunks it equals plain llama-perplexity's to the last digit); the
            # KL mode's PPL(base) comes from the logits stored in base.kld, rounded, so the delta is taken against
            # the base's own run.
            r["perplexity"] = float(m.group(1))
            notes.append(f"ppl {float(m.group(1)):.4f} ± {float(m.group(2)):.4f}")
            r["perplexity_delta"] = round(float(m.group(1)) - base_ppl, 6)
        r["kl_mean"] = number(r"Mean\s+KLD:\s*([-0-9.]+)", log)
        r["kl_p99"] = number(r"99\.0%\s+KLD:\s*([-0-9.]+)", log)
        top = number(r"Same top p:\s*([0-9.]+)", log)
        r["top1_agreement"] = round(top / 100, 5) if top is not None else None
        kl_err = number(r"Mean\s+KLD:\s*[-0-9.]+\s*±\s*([0-9.]+)", log)
        top_err = number(r"Same top p:\s*[0-9.]+\s*±\s*([0-9.]+)", log)
        notes.append(f"KLD ± {kl_err}, same top p ± {top_err} %")
    if quant_runs:
        notes.append(f"quantize time: best of {quant_runs} run(s), 2 threads")
    if runs:
        notes.append(f"llama-bench -t 2 -p 128 -n 64 -r 3: best of {runs} run(s) (mean t/s of 3 repetitions each); 2-core machine shared with builds")
    r["notes"] = "; ".join(notes)
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--text", required=True)
    p.add_argument("--source", required=True)
    a = p.parse_args()
    d = a.dir
    base_log = read(os.path.join(d, "ppl-base-f32.log"))
    chunks = int(number(r"calculating perplexity over (\d+) chunks", base_log))
    m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", base_log)
    base_ppl, base_err = float(m.group(1)), float(m.group(2))
    base_path = os.path.join(d, "base-f32.gguf")
    base = row(d, "base-f32", "F32", base_path, base_ppl)
    base.update({"perplexity": base_ppl, "perplexity_delta": 0.0, "kl_mean": 0.0, "kl_p99": 0.0, "top1_agreement": 1.0})
    base["notes"] = (f"the base: {a.source} dequantized by llama-quantize --allow-requantize … F32 (every tensor F32); "
                     f"ppl {base_ppl:.4f} ± {base_err:.4f}; " + base["notes"])
    rows = []
    for method in METHODS:
        if method == "Q4_1":
            r = row(d, "Q4_1", "Q4_1", a.source, base_ppl)
            r["notes"] = "the published file as fetched (token_embd Q8_0), measured as it is; " + r["notes"]
        else:
            path = os.path.join(d, f"smollm2-{method}.gguf")
            if not os.path.exists(path):
                continue
            r = row(d, method, method, path, base_ppl)
            r["notes"] = f"llama-quantize {base_path} {method} (no imatrix); " + r["notes"]
        rows.append(r)
    json.dump({"text": a.text, "context": CONTEXT, "chunks": chunks, "base": base, "rows": rows}, sys.stdout, indent=2,
              ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
