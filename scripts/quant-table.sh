#!/usr/bin/env bash
# The issue-5 table: SmolLM2 quantized by each method, compared with its base on the held-out tutorial text, with
# llama.cpp's figures merged in when LLAMA_BASELINES names their JSON report (scripts/reference/llama_baselines.sh).
#
#   SAMPLES=128 SEQ_LEN=512 CHUNKS=76 bash scripts/quant-table.sh      # full settings (about an hour on 2 cores)
#   SAMPLES=32 CHUNKS=20 bash scripts/quant-table.sh                    # quicker
#
# Writes $OUT/<config>.pith, $OUT/report.json, report.md (+ report.svg) and report.html.
set -euo pipefail
PITH="${PITH:-.build/release/pith}"
home="${PITH_HOME:-$HOME/.cache/pith}"
out="${OUT:-$home/quant-table}"
samples="${SAMPLES:-128}"
seq="${SEQ_LEN:-512}"
text="${TEXT:-$home/data/python-tutorial.txt}"
calib="${CALIB:-$home/data/calibration.txt}"
mkdir -p "$out"

# name | flags (every linear, the tied output head and embedding table included)
configs=(
  "rtn-4b-g128|--method rtn --bits 4 --group-size 128 --no-sym"
  "gptq-4b-g128|--method gptq --bits 4 --group-size 128 --no-sym"
  "awq-4b-g128|--method awq --bits 4 --group-size 128 --no-sym"
  "rtn-3b-g64|--method rtn --bits 3 --group-size 64 --no-sym"
  "gptq-3b-g64|--method gptq --bits 3 --group-size 64 --no-sym"
  "awq-3b-g64|--method awq --bits 3 --group-size 64 --no-sym"
  "rtn-2b-g64|--method rtn --bits 2 --group-size 64 --no-sym"
  "gptq-2b-g64|--method gptq --bits 2 --group-size 64 --no-sym"
  "awq-2b-g64|--method awq --bits 2 --group-size 64 --no-sym"
  "nf4-dq|--method nf4"
  "w8a8-smoothquant|--method smoothquant"
  "w8a8|--method w8a8"
  "llm-int8-t6|--method llm-int8"
  "fp8|--method fp8"
  "gptq-4b-g32-dq|--method gptq --bits 4 --group-size 32 --no-sym --double-quant"
  "gptq-3b-mixed-dq|--recipe examples/recipes/int3-mixed-dq.yaml"
  "gptq-3b-qk-dq|--recipe examples/recipes/int3-qk-dq.yaml"
)
if [ -n "${ONLY:-}" ]; then
  kept=(); for c in "${configs[@]}"; do [[ ",$ONLY," == *",${c%%|*},"* ]] && kept+=("$c"); done; configs=("${kept[@]}")
fi

models=(); names=(); methods=(--method base)
for c in "${configs[@]}"; do
  name="${c%%|*}"; flags="${c#*|}"
  if [ ! -s "$out/$name.pith" ]; then
    echo "== quantize $name" >&2
    # shellcheck disable=SC2086
    "$PITH" quantize smollm2 $flags --calib "$calib" --samples "$samples" --seq-len "$seq" -o "$out/$name.pith" \
      > "$out/$name.log"
    tail -3 "$out/$name.log" >&2
  fi
  method="${name%%-*}"; [ "$method" = llm ] && method=llm.int8
  models+=("$out/$name.pith"); names+=(--name "$name"); methods+=(--method "$method")
done

merge=()
if [ -n "${LLAMA_BASELINES:-}" ]; then merge=(--merge "$LLAMA_BASELINES"); fi
chunks=()
if [ -n "${CHUNKS:-}" ]; then chunks=(--chunks "$CHUNKS"); fi
"$PITH" compare smollm2 "${models[@]}" --text "$text" --context 512 "${chunks[@]}" --name base "${names[@]}" \
  "${methods[@]}" "${merge[@]}" -o "$out/report.json"
"$PITH" report "$out/report.json" -o "$out/report.md"
"$PITH" report "$out/report.json" -o "$out/report.html"
echo "wrote $out/report.md and $out/report.html"
