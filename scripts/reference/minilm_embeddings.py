#!/usr/bin/env python3
"""Reference sentence embeddings of all-MiniLM-L6-v2 from sentence-transformers (PyTorch), for Pith's tests.

Development-side only. Needs `torch` and `sentence-transformers` (e.g. torch==2.13.0+cpu from PyPI).
Usage: minilm_embeddings.py MODEL_DIR OUT.json
Writes, per sentence: the input ids sentence-transformers feeds the model and its normalised embedding,
at the model's max_seq_length (256) and, for a few long inputs, at 512 too.
"""
import json
import sys

import torch
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "A man is playing a guitar.",
    "A man plays guitar.",
    "Someone plays music.",
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world!",
    "",
    "a",
    "What's the weather like in Zürich today?",
    "Café au lait, crème brûlée and a naïve résumé.",
    "Ångström units measure très petit distances.",
    "ΑΘΗΝΑ είναι η πρωτεύουσα της Ελλάδας.",
    "İstanbul'da güzel bir gün.",
    "Die Straße ist groß und weiß.",
    "我喜欢在公园里散步。",
    "日本語のテキストも埋め込みできます。",
    "한국어 문장도 처리합니다.",
    "Mixed 中文 and English text, with numbers 12345.",
    "Emoji are fun 😀🎉👍 aren't they?",
    "!!!??? ... --- ;;; :::",
    "Punctuation,without,spaces.and-dashes_underscores",
    "URLs like https://example.com/path?query=1&x=y should tokenize.",
    "Tabs\tand\nnewlines\r\nand  multiple   spaces.",
    "Non\u00a0breaking\u2003spaces\u3000and zero\u200bwidth.",
    "Control\u0007characters\u0001are\u0000removed.",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 150,
    "The [MASK] token and [CLS] appear literally here.",
    "ＦＵＬＬ－ＷＩＤＴＨ ｌｅｔｔｅｒｓ",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "Résumé writing tips for software engineers in 2024.",
    "The stock market fell sharply on Monday after the announcement.",
    "A woman is slicing an onion in the kitchen.",
    "Quantum computers use qubits instead of bits.",
    "I can't believe it's not butter!",
    "E = mc², said Einstein; ∑ᵢ xᵢ = 42 ± 0.5 ≈ π.",
]

LONG = [
    " ".join(["The history of the city stretches back over two thousand years, and its streets remember every one."] * 40),
    " ".join(f"word{i} café 东京 {i * 7} punctuation!" for i in range(200)),
]


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    model = SentenceTransformer(model_dir, device="cpu")
    records = []

    def add(sentences, max_len):
        model.max_seq_length = max_len
        features = model.tokenize(sentences)
        vectors = model.encode(sentences, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
        for i, s in enumerate(sentences):
            mask = features["attention_mask"][i].tolist()
            ids = features["input_ids"][i].tolist()[: sum(mask)]
            records.append({"text": s, "max_length": max_len, "ids": ids,
                             "embedding": [float(f"{v:.8g}") for v in vectors[i].tolist()]})

    add(SENTENCES + LONG, 256)
    add(LONG, 512)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2",
                   "reference": f"sentence-transformers {__import__('sentence_transformers').__version__}, torch {torch.__version__}",
                   "modules": [type(m).__name__ for m in model],
                   "sentences": records}, f, ensure_ascii=False, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
