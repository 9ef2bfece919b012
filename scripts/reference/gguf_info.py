#!/usr/bin/env python3
"""Reads a GGUF file's header (metadata and tensor descriptions) without third-party packages.

Dev-side helper for scripts/reference/llama_baselines.sh: `gguf_info.py FILE` prints JSON with the metadata
(long arrays summarised), every tensor's name, type, dims and byte size, and totals per type.
"""
import json
import struct
import sys

# ggml type id -> (name, block size, bytes per block), as ggml-common.h defines them.
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
}
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8", errors="replace")
        self.pos += n
        return s

    def value(self, t):
        if t in SCALARS:
            return self.take(SCALARS[t])
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        raise ValueError(f"unknown metadata type {t}")


def read(path):
    with open(path, "rb") as f:
        data = f.read(64 << 20)  # header and metadata fit well inside 64 MiB for the models used here
    r = Reader(data)
    if r.take("<4s") != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    tensors = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        tid, _offset = r.take("<I"), r.take("<Q")
        tname, block, nbytes = GGML_TYPES[tid]
        count = 1
        for d in dims:
            count *= d
        tensors.append({"name": name, "type": tname, "dims": dims, "elements": count,
                        "bytes": count // block * nbytes})
    return {"version": version, "metadata": meta, "tensors": tensors}


def summary(info):
    by_type = {}
    for t in info["tensors"]:
        row = by_type.setdefault(t["type"], {"tensors": 0, "elements": 0, "bytes": 0})
        row["tensors"] += 1
        row["elements"] += t["elements"]
        row["bytes"] += t["bytes"]
    elements = sum(t["elements"] for t in info["tensors"])
    nbytes = sum(t["bytes"] for t in info["tensors"])
    return {"parameters": elements, "tensor_bytes": nbytes, "bits_per_weight": 8 * nbytes / elements, "by_type": by_type}


if __name__ == "__main__":
    info = read(sys.argv[1])
    meta = {k: (v if not isinstance(v, list) or len(v) <= 8 else f"[{len(v)} values]") for k, v in info["metadata"].items()}
    print(json.dumps({"version": info["version"], "metadata": meta, "summary": summary(info),
                      "tensors": info["tensors"]}, indent=1))
