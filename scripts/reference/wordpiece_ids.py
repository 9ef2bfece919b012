#!/usr/bin/env python3
"""Hugging Face `tokenizers` reference ids for the WordPiece parity tests (dev-only).

Loads all-MiniLM-L6-v2's tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP],
truncation 128, padding Fixed 128), encodes every string below and writes
Tests/PithTokenizersTests/Data/minilm-hf-ids.json with, per string:

  ids                   the file's settings with padding off (truncation 128)
  ids_no_truncation     truncation and padding off
  ids_no_special        add_special_tokens=False (truncation 128, no padding)
  ids_no_parse_special  encode_special_tokens=True: "[CLS]" written in the text is plain text
  decoded               decode(ids, skip_special_tokens=False)
  decoded_skip_special  decode(ids, skip_special_tokens=True)

plus a few pair encodings (ids and type ids) and batch encodings padded to the longest.

    python3 scripts/reference/wordpiece_ids.py [MODEL_DIR]
"""
import json
import os
import pathlib
import re
import sys

import tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "Tests/PithTokenizersTests/Data"
HOME = pathlib.Path(os.environ.get("PITH_HOME") or pathlib.Path.home() / ".cache/pith")
MODEL = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HOME / "models/minilm"

SENTENCES = [
    "Sentence embeddings map a text to a vector so that similar meanings land close together.",
    "The model reads at most a fixed number of tokens; anything longer is cut off at the end.",
    "Researchers in Zürich, São Paulo and Kyoto compared 1,024 samples on 3 GPUs (v2.1).",
    "Don't panic: it's only a test, and we've run it 42 times already!",
    "Tokenizers split words like unbelievably, antidisestablishmentarianism or photosynthesis into pieces.",
]
LONG_TEXT = " ".join(f"({i}) {SENTENCES[i % len(SENTENCES)]}" for i in range(40))

STRINGS = [
    ("empty", ""),
    ("space", " "),
    ("ascii", "Hello world"),
    ("sentence", "The quick brown fox jumps over the lazy dog."),
    ("subwords", "unaffable tokenization playing jumped internationalisation"),
    ("apostrophes", "'quoted' ''double'' rock 'n' roll ’curly’ `tick`"),
    ("uppercase", "THE QUICK BROWN FOX, SHOUTING LOUDLY!"),
    ("mixed-case", "iPhone macOS McDonald's eBay YouTube"),
    ("punctuation-run", "Wait... what?!?! (really) -- yes; [ok] {fine} <tag/> ~~~ *** @#$%^&"),
    ("punctuation-unicode", "«quoted» „German“ ‘single’ — dash – en … ellipsis ¿qué? ¡sí!"),
    ("contractions", "I'm sure you're right, it's fine, we've been, they'll go, don't do not"),
    ("decode-cleanup", "Hello , world ! Is it ? Yes . n't 'm 's 've 're"),
    ("numbers", "1 12 123 1234 12345 3.14159 1,000,000 0x1F 2024-06-01 ½ ² ٣٤٥"),
    ("url", "https://example.com/path?query=1&b=two#frag"),
    ("email", "someone.else@example.org"),
    ("accents", "café naïve Ångström Zürich résumé façade São Paulo"),
    ("accents-decomposed", "cafe\u0301 nai\u0308ve re\u0301sume\u0301"),
    ("combining-marks", "a\u0300\u0301\u0302 Z\u0351\u0368\u0352a\u0338l\u0337g\u0335o"),
    ("greek", "Καλημέρα κόσμε, ΆΈΉΊΌΎΏ ΐΰ ΣΟΦΙΑ σοφία"),
    ("turkish", "İstanbul IŞIK ışık İi Iı"),
    ("german", "Straße STRASSE Maß Fuß groß ẞ"),
    ("special-casing", "ǅemal ǈub ǋ ﬁ ﬀ ŉ ΐ"),
    ("cyrillic", "Привет, мир! Как дела?"),
    ("arabic", "مرحبا بالعالم، كيف حالك؟ السَّلَامُ عَلَيْكُمْ"),
    ("hebrew", "שָׁלוֹם עוֹלָם"),
    ("hindi", "नमस्ते दुनिया, हिन्दी भाषा"),
    ("thai", "สวัสดีชาวโลก"),
    ("chinese", "我爱自然语言处理。今天天气很好！"),
    ("chinese-mixed", "BERT模型在2018年发布，效果很好"),
    ("japanese", "日本語のテキスト、カタカナとひらがな。"),
    ("korean", "한국어 텍스트 안녕하세요"),
    ("cjk-extension", "\U00020000\U0002A700\U0002B820\U0002B920 \u3400\uF900"),
    ("mixed-scripts", "English русский ελληνικά العربية עברית हिन्दी ไทย 日本語 한국어"),
    ("emoji", "I love 🍕 and 🎉! 👍🏽 👨‍👩‍👧‍👦 🇫🇷"),
    ("math-symbols", "∀x ∈ ℝ: x² ≥ 0 ⇒ √(x²) = |x| ± ε ≈ π∞ © ® ™ € £ ¥ § °"),
    ("full-width", "ＡＢＣ ｆｕｌｌ－ｗｉｄｔｈ １２３ ！？"),
    ("tabs-newlines", "\tindented\t\ttext\nline two\r\nline three\r\n\n"),
    ("odd-whitespace", "nbsp\u00a0here zw\u200bsp ideographic\u3000space en\u2002space line\u2028sep nel\u0085x"),
    ("control-chars", "bell\u0007 esc\u001b[0m del\u007f nul\u0000end \ufffdrepl \u200dzwj \ufeffbom \u00adsoft"),
    ("private-use", "a\ue000b \U000F0000c"),
    ("only-whitespace", " \t\n\u3000\u00a0 "),
    ("only-controls", "\u0000\u0007\u200b\ufeff"),
    ("unicode-version-edges", "a\u166db a\u111c9b a\u1734b a\u1885b a\ua9bdb a\u2e43b a\u061db a\u08e2b"),
    ("long-word", "Pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious"),
    ("word-100", "a" * 100),
    ("word-101", "b" * 101),
    ("word-over-100-accents", "é" * 60 + "e" * 41),
    ("no-vocab-match", "xqzjw qqqqqq ☃☃☃ 𓀀𓀁"),
    ("unknown-in-word", "abc☃def"),
    ("special-literal", "[CLS] hello [SEP] world [MASK]"),
    ("special-glued", "a[MASK]b[SEP][SEP]"),
    ("special-lowercase", "[cls] [mask] [Mask] [UNK] [unk]"),
    ("special-partial", "[CLS [MASK ]PAD] [PAD]"),
    ("special-spaced", "  [MASK]  "),
    ("code", "def f(x):\n    return x ** 2  # square"),
    ("json", '{"key": [1, 2, {"nested": null}], "s": "v"}'),
    ("hashes", "##ing ## #hashtag"),
    ("repeated", "the the the the the"),
    ("sentence-embedding", SENTENCES[0]),
    ("long-text", LONG_TEXT),
]


def main() -> None:
    tok = tokenizers.Tokenizer.from_file(str(MODEL / "tokenizer.json"))
    truncation = tok.truncation
    tok.no_padding()

    def encode(text, *, special=True, parse_special=True, truncate=True, pair=None):
        if truncate:
            tok.enable_truncation(truncation["max_length"])
        else:
            tok.no_truncation()
        tok.encode_special_tokens = not parse_special
        return tok.encode(text, pair, add_special_tokens=special)

    names = [n for n, _ in STRINGS]
    assert len(names) == len(set(names)), "duplicate names"
    ids = {n: encode(t).ids for n, t in STRINGS}
    long_ids = encode(LONG_TEXT, truncate=False).ids
    assert len(long_ids) > 600, len(long_ids)

    pairs = [
        ("short-short", "How old are you?", "I am 6 years old."),
        ("empty-second", "Only the first text.", ""),
        ("long-short", LONG_TEXT, "A short answer."),
        ("short-long", "A short question?", LONG_TEXT),
        ("long-long", LONG_TEXT, LONG_TEXT[:900]),
    ]
    batch = ["Hello world", "", "A somewhat longer sentence, with punctuation!", "[MASK] token"]
    tok.enable_truncation(truncation["max_length"])
    tok.encode_special_tokens = False
    tok.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")
    batch_encodings = tok.encode_batch(batch)
    tok.no_padding()

    result = {
        "reference": f"huggingface tokenizers {tokenizers.__version__}",
        "model": "all-MiniLM-L6-v2 tokenizer.json",
        "max_length": truncation["max_length"],
        "strings": [{"name": n, "text": t} for n, t in STRINGS],
        "ids": ids,
        "ids_no_truncation": {n: encode(t, truncate=False).ids for n, t in STRINGS},
        "ids_no_special": {n: encode(t, special=False).ids for n, t in STRINGS},
        "ids_no_parse_special": {n: encode(t, parse_special=False).ids for n, t in STRINGS},
        "decoded": {n: tok.decode(v, skip_special_tokens=False) for n, v in ids.items()},
        "decoded_skip_special": {n: tok.decode(v, skip_special_tokens=True) for n, v in ids.items()},
        "pairs": [
            {"name": n, "first": a, "second": b, "ids": e.ids, "type_ids": e.type_ids}
            for n, a, b in pairs for e in [encode(a, pair=b)]
        ],
        "batch": {
            "texts": batch,
            "ids": [e.ids for e in batch_encodings],
            "type_ids": [e.type_ids for e in batch_encodings],
            "attention_mask": [e.attention_mask for e in batch_encodings],
        },
    }
    out = DATA / "minilm-hf-ids.json"
    text = json.dumps(result, ensure_ascii=False, indent=1)
    # One line per id list keeps the file short and its diffs readable.
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]", lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text)
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(STRINGS)} strings and {len(pairs)} pairs to {out}")


if __name__ == "__main__":
    main()
