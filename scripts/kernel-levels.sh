#!/usr/bin/env bash
# Builds scripts/kernel-levels/levels.c with the pith_qweight kernels for this machine (-march=native, with
# AddressSanitizer), for AVX2-only machines (x86-64-v3) and for plain x86-64 (portable C only), and runs each:
# every compiled SIMD level must agree with the portable kernels (see levels.c). Needs clang and OpenBLAS.
set -euo pipefail
cd "$(dirname "$0")/.."
K=Sources/PithKernels
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sources="$K/qlinear.c $K/linear.c $K/dot_q4.c $K/dot_q8.c $K/dense_dot.c $K/dot_groupq.c $K/lut.c $K/dot_w8a8.c $K/dequant_groupq.c $K/threadpool.c $K/quantize_act.c $K/dequant.c"
for target in native x86-64-v3 x86-64; do
    flags="-O2 -march=$target -ffp-contract=fast"
    [ "$target" = native ] && flags="$flags -fsanitize=address -fno-omit-frame-pointer"
    echo "== -march=$target"
    # ld.gold warns once per ASan helper symbol; those lines are dropped.
    # shellcheck disable=SC2086
    clang $flags -I$K/include -I$K scripts/kernel-levels/levels.c $sources -lopenblas -lpthread -lm -o "$out/levels-$target" \
        2> >(grep -v "Cannot export local symbol" >&2)
    "$out/levels-$target"
done
