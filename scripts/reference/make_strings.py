#!/usr/bin/env python3
"""Writes Tests/PithTokenizersTests/Data/strings.json: the tokenizer parity test strings (dev-only).

Each entry is {"name", "text"}; the reference id files are generated over this list in order.
"""
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
TUTORIAL = pathlib.Path("/usr/share/doc/python3.11/html/_sources/tutorial/introduction.rst.txt")

strings = [
    ("empty", ""),
    ("ascii", "Hello world"),
    ("ascii-sentence", "The quick brown fox jumps over the lazy dog."),
    ("leading-space", " Hello"),
    ("single-space", " "),
    ("single-letter", "a"),
    ("punctuation-run", "Wait... what?!?! (really) -- yes; [ok] {fine} <tag/> ~~~ ***"),
    ("punctuation-space", "a !!! b ??? c ..."),
    ("digits", "1 12 123 1234 12345 3.14159 1,000,000 0x1F 2024-06-01"),
    ("digits-glued", "abc123def 4567xyz"),
    ("unicode-numbers", "² ½ Ⅻ ٣٤٥ ४२ 一二三 ①②"),
    ("spaces-trailing", "trailing spaces   "),
    ("spaces-multiple", "a  b   c    d"),
    ("spaces-only", "     "),
    ("tabs", "\tindented\t\ttext\t"),
    ("newlines", "line one\nline two\n\nline four\n\n\n"),
    ("crlf", "windows\r\nline\r\n\r\nend"),
    ("mixed-whitespace", "a \t\n b\n \n\tc  \n"),
    ("unicode-whitespace", "nbsp\u00a0here ideographic\u3000space en\u2002space line\u2028sep nel\u0085x"),
    ("contractions", "I'm sure you're right, it's fine, we've been, they'll go, he'd say, don't"),
    ("contractions-upper", "I'M SURE YOU'RE RIGHT, IT'S FINE, WE'VE BEEN, THEY'LL GO, HE'D SAY, DON'T"),
    ("contractions-mixed", "It'S I'M we'Re 'll 'd' 's'"),
    ("apostrophes", "'quoted' ''double'' rock 'n' roll ’curly’"),
    ("accents-composed", "café naïve résumé Zürich São Paulo façade"),
    ("accents-decomposed", "cafe\u0301 nai\u0308ve re\u0301sume\u0301"),
    ("combining-marks", "a\u0300\u0301\u0302 Z\u0351\u0368\u0352a\u0338l\u0337g\u0335o"),
    ("cjk-chinese", "我爱自然语言处理。今天天气很好！"),
    ("cjk-japanese", "こんにちは、世界。カタカナとひらがな。"),
    ("cjk-korean", "안녕하세요 세계 한국어 텍스트"),
    ("emoji-simple", "I love 🍕 and 🎉!"),
    ("emoji-zwj", "family 👨‍👩‍👧‍👦 and 🏳️‍🌈 flag"),
    ("emoji-skin-tone", "👍🏽 👋🏿 🙏🏻"),
    ("emoji-flags", "🇫🇷🇩🇪🇯🇵"),
    ("emoji-run", "😀😃😄😁😆😅😂🤣"),
    ("mixed-scripts", "English русский ελληνικά العربية עברית हिन्दी ไทย 日本語"),
    ("cyrillic", "Привет, мир! Как дела?"),
    ("arabic", "مرحبا بالعالم، كيف حالك؟"),
    ("devanagari", "नमस्ते दुनिया"),
    ("thai", "สวัสดีชาวโลก"),
    ("math", "∀x ∈ ℝ: x² ≥ 0 ⇒ √(x²) = |x| ± ε ≈ π∞"),
    ("symbols", "© ® ™ € £ ¥ § ¶ • … — – « » ° µ"),
    ("titlecase", "ǅemal ǈub ǋ"),
    ("zero-width", "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom"),
    ("control-chars", "bell\u0007 esc\u001b[0m del\u007f nul\u0000end"),
    ("url", "https://example.com/path?query=1&b=two#frag"),
    ("email", "someone@example.org"),
    ("code-python", "def f(x):\n    return x ** 2  # square\n\nprint(f(3))\n"),
    ("code-json", '{"key": [1, 2, {"nested": null}], "s": "v\\n"}'),
    ("code-indent", "if (a) {\n        b();\n    }\n"),
    ("long-run-equals", "=" * 80),
    ("long-run-spaces", "x" + " " * 70 + "y"),
    ("long-word", "Pneumonoultramicroscopicsilicovolcanoconiosis supercalifragilisticexpialidocious"),
    ("repeated-word", "the the the the the the the the"),
    ("special-chatml", "<|im_start|>user\nHi<|im_end|>"),
    ("special-chat", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"),
    ("special-adjacent", "<|im_start|><|im_end|><|endoftext|>"),
    ("special-spaced", " <|im_end|> text <|endoftext|> "),
    ("special-partial", "<|im_start| <im_end|> <|im_end"),
    ("special-other", "<filename>a.py<file_sep><gh_stars>10<jupyter_code>x=1<empty_output>"),
    ("tutorial-paragraph", TUTORIAL.read_text(encoding="utf-8")[:3000]),
]

names = [n for n, _ in strings]
assert len(names) == len(set(names)), "duplicate names"
out = ROOT / "Tests/PithTokenizersTests/Data/strings.json"
out.write_text(json.dumps([{"name": n, "text": t} for n, t in strings], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(f"wrote {len(strings)} strings to {out}")
