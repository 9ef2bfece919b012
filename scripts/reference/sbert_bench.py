#!/usr/bin/env python3
"""sentence-transformers' throughput on the same sentences as `pith bench minilm`, for a side-by-side ratio.

Development-side only (needs torch and sentence-transformers). Usage: sbert_bench.py MODEL_DIR SENTENCES.txt [THREADS]
"""
import sys
import time

import torch
from sentence_transformers import SentenceTransformer


def main():
    model_dir, path = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    sentences = [line.strip() for line in open(path, encoding="utf-8") if line.strip()][:1000]
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(sentences[:64], batch_size=64)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        model.encode(sentences, batch_size=64)
        best = min(best, time.perf_counter() - start)
    print(f"sentence-transformers {len(sentences)} sentences in {best:.3f} s: {len(sentences) / best:.1f} sentences/s "
          f"({threads} threads, torch {torch.__version__})")


if __name__ == "__main__":
    main()
