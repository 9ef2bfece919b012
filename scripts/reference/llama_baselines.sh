#!/usr/bin/env bash
# The llama.cpp baselines Pith's compression is compared with, measured with a PREBUILT llama.cpp (this script never
# builds or fetches it): SmolLM2-135M-Instruct dequantized to F32 is the base; llama-quantize makes Q4_0, Q4_K_M,
# Q3_K_M and Q2_K from it; each of those and the original Q4_1 gets size, bits per weight, perplexity over every
# 512-token chunk of the held-out text, KL divergence and top-1 agreement against the base, quantization time and
# llama-bench speed. Writes $OUT/llama-baselines.json (schema in scripts/reference/llama_baselines_report.py).
#
#   LLAMA_CPP_BIN=/path/to/llama.cpp/build/bin scripts/reference/llama_baselines.sh [OUT]   (default /work/baselines)
#
# Steps whose output exists are skipped, so an interrupted run resumes; delete a file to redo its step. The machine
# should be otherwise idle for the timings (quantize time, llama-bench); REPEAT_QUANTIZE=1 and REPEAT_BENCH=1 time
# them again, and the report keeps the best of all runs.
set -euo pipefail
bin="${LLAMA_CPP_BIN:?set LLAMA_CPP_BIN to the build/bin folder of a built llama.cpp}"
home="${PITH_HOME:-$HOME/.cache/pith}"
out="${1:-/work/baselines}"
source_model="${SOURCE_MODEL:-$home/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf}"
text="${TEXT:-$home/data/python-tutorial.txt}"
threads="${THREADS:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
for tool in llama-quantize llama-perplexity llama-bench; do
    [ -x "$bin/$tool" ] || { echo "missing $bin/$tool" >&2; exit 1; }
done
[ -f "$source_model" ] && [ -f "$text" ] || { echo "missing $source_model or $text (run make models)" >&2; exit 1; }
mkdir -p "$out"
cd "$out"

# name → file; the original is measured as it is, the base and the others are made here.
declare -A file=([base-f32]=base-f32.gguf [Q4_1]="$source_model")
methods=(Q4_0 Q4_K_M Q3_K_M Q2_K)
for m in "${methods[@]}"; do file[$m]="smollm2-$m.gguf"; done

quantize() { # name, input, type
    local name="$1" input="$2" type="$3"
    [ -s "${file[$name]}" ] && [ -s "quantize-$name.log" ] && return 0
    echo "quantize $name"
    "$bin/llama-quantize" --allow-requantize "$input" "${file[$name]}.partial" "$type" "$threads" > "quantize-$name.log" 2>&1
    mv "${file[$name]}.partial" "${file[$name]}"
}

retime() { # name, input, type: quantize again (REPEAT_QUANTIZE=1) into a scratch file, check it is the same file
    local name="$1" input="$2" type="$3" run=1
    while [ -s "quantize-$name.retime-$run.log" ]; do run=$((run + 1)); done
    echo "re-time quantize $name (run $run)"
    "$bin/llama-quantize" --allow-requantize "$input" "retime.gguf" "$type" "$threads" > "quantize-$name.retime-$run.log" 2>&1
    cmp -s retime.gguf "${file[$name]}" || echo "note: re-quantized $name differs from ${file[$name]}" >&2
    rm -f retime.gguf
}

quantize base-f32 "$source_model" F32
for m in "${methods[@]}"; do quantize "$m" base-f32.gguf "$m"; done
if [ "${REPEAT_QUANTIZE:-0}" = 1 ]; then
    retime base-f32 "$source_model" F32
    for m in "${methods[@]}"; do retime "$m" base-f32.gguf "$m"; done
fi

# The base's perplexity, and its logits for every chunk (the KL reference).
if [ ! -s base.kld ] || [ ! -s ppl-base-f32.log ]; then
    echo "perplexity base-f32 (and base.kld)"
    "$bin/llama-perplexity" -m base-f32.gguf -f "$text" -c 512 -t "$threads" --kl-divergence-base base.kld > ppl-base-f32.log.partial 2>&1
    mv ppl-base-f32.log.partial ppl-base-f32.log
fi
# Each row against the base: its perplexity over the same tokens, KLD and top-1 agreement.
for name in Q4_1 "${methods[@]}"; do
    [ -s "kld-$name.log" ] && continue
    echo "kl-divergence $name"
    "$bin/llama-perplexity" -m "${file[$name]}" -c 512 -t "$threads" --kl-divergence-base base.kld --kl-divergence \
        > "kld-$name.log.partial" 2>&1
    mv "kld-$name.log.partial" "kld-$name.log"
done
for name in base-f32 Q4_1 "${methods[@]}"; do
    python3 "$here/gguf_info.py" "${file[$name]}" > "info-$name.json"
    run=1
    while [ -s "bench-$name.$run.json" ]; do run=$((run + 1)); done
    if [ "$run" = 1 ] || [ "${REPEAT_BENCH:-0}" = 1 ]; then
        echo "bench $name (run $run)"
        "$bin/llama-bench" -m "${file[$name]}" -t "$threads" -p 128 -n 64 -r 3 -o json > "bench-$name.$run.json" 2> "bench-$name.$run.log"
    fi
done
python3 "$here/llama_baselines_report.py" --dir "$out" --text "$text" --source "$source_model" > llama-baselines.json.partial
mv llama-baselines.json.partial llama-baselines.json
echo "wrote $out/llama-baselines.json"
