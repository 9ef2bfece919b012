#!/usr/bin/env python3
"""Independent reference for Pith's Wanda and SparseGPT (development only; Pith never runs Python).

Re-implements, in NumPy float64, the algorithms as the authors publish them (read, not copied):
- Wanda (Sun et al. 2023, github.com/locuslab/wanda, `prune_wanda`): score |W_ij| * ||X_j||_2; unstructured: per
  output row, a stable ascending sort and the first int(cols * sparsity) pruned; N:M: in every group of M consecutive
  columns of a row, the prune_n lowest scores pruned (torch.topk(largest=False)).
- SparseGPT (Frantar & Alistarh 2023, github.com/IST-DASLab/sparsegpt, `SparseGPT.fasterprune`): H = 2 X^T X / n,
  dampening 1% of mean(diag H), U = upper Cholesky factor of H^-1, columns in blocks of 128; unstructured: at each
  block start, scores w^2 / U_jj^2 over the whole block, threshold = sorted(scores)[int(numel * sparsity)], pruned
  where score <= threshold; N:M: at every M-th column, the prune_n lowest of the next M columns per row, from the
  current (updated) weights; each column's error (w - q) / U_jj spread over the rest of the block with U's row, and
  over later blocks with one product per block.

Writes Tests/PithCompressTests/Data/pruning_fixtures.json: per layer the weight (rows, cols) and calibration inputs
(tokens, cols) as base64 little-endian f32, and per method the expected mask (base64, one bit per weight, row-major,
LSB first; 1 = pruned) and the relative reconstruction error ||(W - W')X^T||^2 / ||W X^T||^2 in float64.

    python3 scripts/reference/pruning_reference.py [--out PATH]
"""
import argparse
import base64
import json
import os

import numpy as np

SEED = 20240613
# (rows, cols, tokens): small enough for a test fixture of ~200 KB.
LAYERS = [(32, 128, 96), (48, 192, 96)]
METHODS = [
    ("wanda", "unstructured", 0.5),
    ("wanda", "2:4", 0.5),
    ("wanda", "4:8", 0.5),
    ("sparsegpt", "unstructured", 0.5),
    ("sparsegpt", "unstructured", 0.7),
    ("sparsegpt", "2:4", 0.5),
    ("sparsegpt", "4:8", 0.5),
]


def calibration_inputs(rng, tokens, cols):
    """Correlated inputs with uneven feature scales and a few outlier features (as LLM activations have), so the
    Hessian is far from a multiple of the identity and the methods differ from magnitude pruning."""
    z = rng.standard_normal((tokens, cols))
    mix = np.eye(cols) + 0.3 * rng.standard_normal((cols, cols)) / np.sqrt(cols)
    scales = np.exp(0.8 * rng.standard_normal(cols))
    scales[rng.choice(cols, size=max(1, cols // 32), replace=False)] *= 8.0
    return (z @ mix) * scales


def wanda(w, x, pattern, sparsity):
    norms = np.sqrt((x * x).sum(axis=0))  # ||X_j||_2 over tokens
    score = np.abs(w) * norms[None, :]
    mask = np.zeros(w.shape, dtype=bool)
    rows, cols = w.shape
    if pattern == "unstructured":
        k = int(cols * sparsity)
        order = np.argsort(score, axis=1, kind="stable")
        for r in range(rows):
            mask[r, order[r, :k]] = True
    else:
        n, m = (int(t) for t in pattern.split(":"))
        prune_n = m - n
        for c0 in range(0, cols, m):
            block = score[:, c0:c0 + m]
            order = np.argsort(block, axis=1, kind="stable")
            for r in range(rows):
                mask[r, c0 + order[r, :prune_n]] = True
    out = w.copy()
    out[mask] = 0
    return out, mask


def sparsegpt(w, x, pattern, sparsity, blocksize=128, percdamp=0.01):
    w = w.astype(np.float64).copy()
    rows, cols = w.shape
    h = 2.0 / x.shape[0] * (x.T @ x)
    dead = np.diag(h) == 0
    h[dead, dead] = 1
    h = h + percdamp * np.mean(np.diag(h)) * np.eye(cols)
    hinv = np.linalg.inv(h)              # cholesky_inverse(cholesky(H)) = H^-1
    u = np.linalg.cholesky(hinv).T       # upper factor: H^-1 = U^T U
    mask = np.zeros(w.shape, dtype=bool)
    prune_n, prune_m = 0, 0
    if pattern != "unstructured":
        n, prune_m = (int(t) for t in pattern.split(":"))
        prune_n = prune_m - n
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        count = i2 - i1
        w1 = w[:, i1:i2].copy()
        q1 = np.zeros_like(w1)
        err1 = np.zeros_like(w1)
        u1 = u[i1:i2, i1:i2]
        if prune_n == 0:
            tmp = w1 ** 2 / (np.diag(u1)[None, :] ** 2)
            thresh = np.sort(tmp.flatten())[int(tmp.size * sparsity)]
            mask1 = tmp <= thresh
        else:
            mask1 = np.zeros_like(w1, dtype=bool)
        for i in range(count):
            col = w1[:, i]
            d = u1[i, i]
            if prune_n != 0 and i % prune_m == 0:
                tmp = w1[:, i:i + prune_m] ** 2 / (np.diag(u1)[i:i + prune_m][None, :] ** 2)
                order = np.argsort(tmp, axis=1, kind="stable")
                for r in range(rows):
                    mask1[r, i + order[r, :prune_n]] = True
            q = col.copy()
            q[mask1[:, i]] = 0
            q1[:, i] = q
            e = (col - q) / d
            w1[:, i:] -= np.outer(e, u1[i, i:])
            err1[:, i] = e
        w[:, i1:i2] = q1
        mask[:, i1:i2] = mask1
        w[:, i2:] -= err1 @ u[i1:i2, i2:]
    return w, mask


def relative_error(w, pruned, x):
    y = w @ x.T
    d = (w - pruned) @ x.T
    return float((d * d).sum() / (y * y).sum())


def f32_base64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def bits_base64(mask):
    return base64.b64encode(np.packbits(mask.flatten().astype(np.uint8), bitorder="little").tobytes()).decode()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "Tests", "PithCompressTests", "Data", "pruning_fixtures.json")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=default)
    args = parser.parse_args()
    rng = np.random.default_rng(SEED)
    layers = []
    for rows, cols, tokens in LAYERS:
        # The fixture stores f32; the reference runs on exactly those f32 values, widened.
        w = (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32).astype(np.float64)
        x = calibration_inputs(rng, tokens, cols).astype(np.float32).astype(np.float64)
        results = []
        for method, pattern, sparsity in METHODS:
            fn = wanda if method == "wanda" else sparsegpt
            pruned, mask = fn(w, x, pattern, sparsity)
            results.append({
                "method": method, "pattern": pattern, "sparsity": sparsity,
                "mask": bits_base64(mask), "pruned_fraction": float(mask.mean()),
                "error": relative_error(w, pruned, x),
            })
            print(f"{rows}x{cols} {method:9s} {pattern:12s} s={sparsity}: pruned {mask.mean():.4f}, "
                  f"error {results[-1]['error']:.6e}")
        layers.append({"rows": rows, "cols": cols, "tokens": tokens,
                       "weight": f32_base64(w), "inputs": f32_base64(x), "results": results})
    with open(args.out, "w") as f:
        json.dump({"generator": "scripts/reference/pruning_reference.py", "seed": SEED, "numpy": np.__version__,
                   "layers": layers}, f, indent=1)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
