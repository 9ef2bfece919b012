#!/usr/bin/env python3
"""Reference loss and gradients of a tiny Llama and a tiny BERT from PyTorch autograd, for PithTrain's tests.

Development-side only. Needs `torch` (CPU is enough; `pip install torch` from PyPI).
Usage: train_gradients.py OUT.safetensors

Both sides make the same weights and batches from one seeded SplitMix64 stream (Tests/PithTrainTests/TinyModels.swift
holds the Swift twin): parameters in name order, each element (2u − 1) · scale computed in f64 and rounded to f32,
with scale 1/√(last dimension) for matrices, norm weights 1 ± 0.2, biases ±0.1. The models are written here from
their definitions (not from Pith's graphs), computed in f64, so the stored gradients are exact to f32 rounding.

Stored (f32 unless noted): `llama.loss` and `bert.loss` (f64, shape [1]), `llama.grad.NAME` and `bert.grad.NAME` for
every parameter, and for two Llama parameters the values after three optimizer steps with that gradient held fixed,
from `torch.optim.AdamW` and `torch.optim.SGD` in f32 (`adamw.NAME`, `sgd.NAME`).
"""
import json
import math
import struct
import sys

import torch

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def symmetric(self, scale):
        return (2 * self.uniform() - 1) * scale


def make_weights(shapes, rng):
    """name -> f32-rounded values as a float64 tensor, in name order (the Swift side's rule)."""
    weights = {}
    for name in sorted(shapes):
        shape = shapes[name]
        n = math.prod(shape)
        if len(shape) == 1 and name.endswith("norm.weight"):
            vals = [1 + rng.symmetric(0.2) for _ in range(n)]
        elif len(shape) == 1:
            vals = [rng.symmetric(0.1) for _ in range(n)]
        else:
            scale = 1 / math.sqrt(shape[-1])
            vals = [rng.symmetric(scale) for _ in range(n)]
        t = torch.tensor(vals, dtype=torch.float64).to(torch.float32).to(torch.float64).reshape(shape)
        weights[name] = t.requires_grad_(True)
    return weights


# MARK: - Tiny Llama (Pith's GGUF-style names; Hugging Face's half-split rotary embedding)

LLAMA = dict(dim=64, ffn=96, layers=2, heads=4, kv_heads=2, vocab=128, eps=1e-5, theta=10000.0, length=12, sequences=2)


def llama_shapes(c):
    hd = c["dim"] // c["heads"]
    s = {"token_embd.weight": [c["vocab"], c["dim"]], "output_norm.weight": [c["dim"]]}
    for i in range(c["layers"]):
        p = f"blk.{i}."
        s[p + "attn_norm.weight"] = [c["dim"]]
        s[p + "attn_q.weight"] = [c["heads"] * hd, c["dim"]]
        s[p + "attn_k.weight"] = [c["kv_heads"] * hd, c["dim"]]
        s[p + "attn_v.weight"] = [c["kv_heads"] * hd, c["dim"]]
        s[p + "attn_output.weight"] = [c["dim"], c["heads"] * hd]
        s[p + "ffn_norm.weight"] = [c["dim"]]
        s[p + "ffn_gate.weight"] = [c["ffn"], c["dim"]]
        s[p + "ffn_up.weight"] = [c["ffn"], c["dim"]]
        s[p + "ffn_down.weight"] = [c["dim"], c["ffn"]]
    return s


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope_half_split(x, positions, heads, hd, theta):
    t = x.shape[0]
    x = x.view(t, heads, hd)
    inv = theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    angle = positions.to(torch.float64)[:, None] * inv[None, :]
    cos, sin = angle.cos()[:, None, :], angle.sin()[:, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).reshape(t, heads * hd)


def attention(q, k, v, heads, kv_heads, causal, key_mask):
    """One sequence: q (L, heads·hd), k, v (L, kv_heads·hd); key_mask (L) of 0/1 or None."""
    length = q.shape[0]
    hd = q.shape[1] // heads
    q = q.view(length, heads, hd).transpose(0, 1)
    k = k.view(length, kv_heads, hd).transpose(0, 1).repeat_interleave(heads // kv_heads, dim=0)
    v = v.view(length, kv_heads, hd).transpose(0, 1).repeat_interleave(heads // kv_heads, dim=0)
    scores = q @ k.transpose(1, 2) / math.sqrt(hd)
    if causal:
        scores = scores.masked_fill(torch.ones(length, length, dtype=torch.bool).triu(1), float("-inf"))
    if key_mask is not None:
        scores = scores.masked_fill((key_mask == 0)[None, None, :], float("-inf"))
    return (scores.softmax(-1) @ v).transpose(0, 1).reshape(length, heads * hd)


def llama_loss(w, c, ids, labels, positions):
    n, length = ids.shape[0], c["length"]
    hd = c["dim"] // c["heads"]
    x = w["token_embd.weight"][ids]
    for i in range(c["layers"]):
        p = f"blk.{i}."
        h = rms_norm(x, w[p + "attn_norm.weight"], c["eps"])
        q = rope_half_split(h @ w[p + "attn_q.weight"].T, positions, c["heads"], hd, c["theta"])
        k = rope_half_split(h @ w[p + "attn_k.weight"].T, positions, c["kv_heads"], hd, c["theta"])
        v = h @ w[p + "attn_v.weight"].T
        att = torch.cat([attention(q[s:s + length], k[s:s + length], v[s:s + length], c["heads"], c["kv_heads"], True, None)
                         for s in range(0, n, length)])
        x = x + att @ w[p + "attn_output.weight"].T
        h = rms_norm(x, w[p + "ffn_norm.weight"], c["eps"])
        gate = torch.nn.functional.silu(h @ w[p + "ffn_gate.weight"].T)
        x = x + (gate * (h @ w[p + "ffn_up.weight"].T)) @ w[p + "ffn_down.weight"].T
    logits = rms_norm(x, w["output_norm.weight"], c["eps"]) @ w["token_embd.weight"].T  # tied head
    # Causal-LM shift within each sequence, -100 ignored, mean over counted targets.
    targets = torch.full_like(labels, -100)
    for s in range(0, n, length):
        targets[s:s + length - 1] = labels[s + 1:s + length]
    return torch.nn.functional.cross_entropy(logits, targets, ignore_index=-100)


def llama_batch(c, rng):
    n = c["length"] * c["sequences"]
    ids = [rng.next() % c["vocab"] for _ in range(n)]
    labels = list(ids)
    for r in (0, 1, 2):  # a prompt that is not predicted
        labels[r] = -100
    for r in range(c["length"] + 9, 2 * c["length"]):  # padding at the end of the second sequence
        labels[r] = -100
    positions = [r % c["length"] for r in range(n)]
    return torch.tensor(ids), torch.tensor(labels), torch.tensor(positions)


# MARK: - Tiny BERT (post-norm, erf GELU, padding mask; pooler, mean pooling and L2 normalization)

BERT = dict(dim=32, ffn=64, layers=2, heads=4, vocab=96, positions=16, types=2, eps=1e-12, length=8, sequences=2)


def bert_shapes(c):
    d = c["dim"]
    s = {"token_embd.weight": [c["vocab"], d], "position_embd.weight": [c["positions"], d],
         "token_types.weight": [c["types"], d], "token_embd_norm.weight": [d], "token_embd_norm.bias": [d],
         "pooler.weight": [d, d], "pooler.bias": [d]}
    for i in range(c["layers"]):
        p = f"blk.{i}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            s[p + name + ".weight"] = [d, d]
            s[p + name + ".bias"] = [d]
        s[p + "ffn_up.weight"] = [c["ffn"], d]
        s[p + "ffn_up.bias"] = [c["ffn"]]
        s[p + "ffn_down.weight"] = [d, c["ffn"]]
        s[p + "ffn_down.bias"] = [d]
        for name in ("attn_output_norm", "layer_output_norm"):
            s[p + name + ".weight"] = [d]
            s[p + name + ".bias"] = [d]
    return s


def bert_loss(w, c, ids, types, positions, mask, target_sentence, target_pooled):
    n, length, d = ids.shape[0], c["length"], c["dim"]

    def ln(x, name):
        return torch.nn.functional.layer_norm(x, (d,), w[name + ".weight"], w[name + ".bias"], c["eps"])

    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    x = ln(w["token_embd.weight"][ids] + w["position_embd.weight"][positions] + w["token_types.weight"][types], "token_embd_norm")
    for i in range(c["layers"]):
        p = f"blk.{i}."
        q, k, v = lin(x, p + "attn_q"), lin(x, p + "attn_k"), lin(x, p + "attn_v")
        att = torch.cat([attention(q[s:s + length], k[s:s + length], v[s:s + length], c["heads"], c["heads"], False, mask[s:s + length])
                         for s in range(0, n, length)])
        x = ln(x + lin(att, p + "attn_output"), p + "attn_output_norm")
        up = torch.nn.functional.gelu(lin(x, p + "ffn_up"))  # erf form
        x = ln(x + lin(up, p + "ffn_down"), p + "layer_output_norm")
    sentences, pooled = [], []
    for s in range(0, n, length):
        m = mask[s:s + length].to(torch.float64)[:, None]
        sentences.append((x[s:s + length] * m).sum(0) / m.sum().clamp_min(1e-9))
        pooled.append(torch.tanh(lin(x[s], "pooler")))
    sentence = torch.nn.functional.normalize(torch.stack(sentences), dim=-1, eps=1e-12)
    mse = torch.nn.functional.mse_loss
    return mse(sentence, target_sentence) + mse(torch.stack(pooled), target_pooled)


def bert_batch(c, rng):
    n, length = c["length"] * c["sequences"], c["length"]
    ids = [rng.next() % c["vocab"] for _ in range(n)]
    mask = [1] * n
    for r in range(length + 5, 2 * length):  # the second sequence is 5 tokens, right-padded
        mask[r] = 0
        ids[r] = 0
    types = [0 if r % length < length // 2 else 1 for r in range(n)]
    positions = [r % length for r in range(n)]
    targets = [rng.symmetric(0.5) for _ in range(2 * c["sequences"] * c["dim"])]
    t = torch.tensor(targets, dtype=torch.float64).to(torch.float32).to(torch.float64)
    half = c["sequences"] * c["dim"]
    return (torch.tensor(ids), torch.tensor(types), torch.tensor(positions), torch.tensor(mask),
            t[:half].reshape(c["sequences"], c["dim"]), t[half:].reshape(c["sequences"], c["dim"]))


# MARK: - Optimizers on two Llama parameters, f32, the fixture's gradient held fixed for three steps

def optimizer_results(weights, grads):
    out = {}
    for name in ("blk.0.attn_k.weight", "output_norm.weight"):
        for label, make in (("adamw", lambda p: torch.optim.AdamW([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
                            ("sgd", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01))):
            p = weights[name].detach().to(torch.float32).clone().requires_grad_(True)
            opt = make(p)
            for _ in range(3):
                p.grad = grads[name].to(torch.float32).clone()
                opt.step()
            out[f"{label}.{name}"] = p.detach()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {torch.float32: "F32", torch.float64: "F64"}[t.dtype]
        data = t.numpy().tobytes() if hasattr(t, "numpy") else bytes(t.untyped_storage())
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out = {}
    rng = SplitMix64(14)
    w = make_weights(llama_shapes(LLAMA), rng)
    loss = llama_loss(w, LLAMA, *llama_batch(LLAMA, rng))
    loss.backward()
    out["llama.loss"] = loss.detach().reshape(1)
    grads = {name: t.grad for name, t in w.items()}
    for name, g in grads.items():
        out["llama.grad." + name] = g.to(torch.float32)
    out.update(optimizer_results(w, {k: v.to(torch.float32) for k, v in grads.items()}))

    rng = SplitMix64(42)
    w = make_weights(bert_shapes(BERT), rng)
    loss = bert_loss(w, BERT, *bert_batch(BERT, rng))
    loss.backward()
    out["bert.loss"] = loss.detach().reshape(1)
    for name, t in w.items():
        out["bert.grad." + name] = t.grad.to(torch.float32)
    write_safetensors(sys.argv[1], out)
    print(f"llama loss {out['llama.loss'].item():.9f}, bert loss {out['bert.loss'].item():.9f}, {len(out)} tensors")


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main()
