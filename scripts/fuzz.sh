#!/usr/bin/env bash
# A bounded libFuzzer campaign over Pith's untrusted-input readers (Sources/pith-fuzz): builds the harness with
# libFuzzer and AddressSanitizer, writes the seed corpus from Pith's own writers, fuzzes for FUZZ_SECONDS in all,
# and fails on any crash, sanitizer report, leak, timeout (-timeout) or oversized allocation (-malloc_limit_mb).
#
#   FUZZ_SECONDS=60   total fuzzing time (all readers share one campaign; the input's first byte picks the reader)
#   FUZZ_RUNS=N       stop after N inputs instead (0: no limit)
#   scripts/fuzz.sh FILE...   replays inputs (e.g. a crash-* artifact) instead of fuzzing
#
# The corpus grows in .build-fuzz/corpus across runs, so each campaign starts where the last one stopped;
# findings are written to .build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
SCRATCH=.build-fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:-0}

# libFuzzer ships with the Swift toolchain's clang runtime; without it there is nothing to link.
resource_dir=$(dirname "$(dirname "$(command -v swiftc)")")/lib/clang
if ! ls "$resource_dir"/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 && \
   ! ls "$resource_dir"/*/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1; then
    echo "fuzz: this Swift toolchain has no libFuzzer runtime under $resource_dir" >&2
    exit 1
fi

# Release (-O keeps Swift's bounds and overflow checks) is what the readers ship as, and runs several times faster
# than debug under the sanitizers.
# SwiftPM's --sanitize covers the C targets and the link, but hands swiftc one -sanitize= per sanitizer in set order,
# and with swiftc the last -sanitize= wins: one build in two lost either the coverage instrumentation or ASan (measured:
# `-sanitize=fuzzer -sanitize=address` gives no __sancov sections). The combined flag, passed last, keeps both.
build=(build --scratch-path "$SCRATCH" -c release --product pith-fuzz --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize=fuzzer,address)
echo "fuzz: building the harness (libFuzzer + AddressSanitizer) in $SCRATCH"
mkdir -p "$SCRATCH"
# ld.gold warns once per ASan symbol it cannot export; the log keeps everything, the terminal gets errors only.
if ! PITH_FUZZ=1 "$SWIFT" "${build[@]}" >"$SCRATCH/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$SCRATCH/build.log" | tail -40 >&2
    echo "fuzz: the harness did not build (log: $SCRATCH/build.log)" >&2
    exit 1
fi
bin="$(PITH_FUZZ=1 "$SWIFT" "${build[@]}" --show-bin-path)/pith-fuzz"

# The Swift runtime's own crash handler would wait on a backtracer; libFuzzer and ASan report the crash instead.
export SWIFT_BACKTRACE=enable=no
# The harness writes each input to a file (the readers memory-map); a crash leaves it here, not in /tmp.
export TMPDIR="$PWD/$SCRATCH/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:handle_abort=1}

if [ $# -gt 0 ]; then
    exec "$bin" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 "$@"
fi

seeds="$SCRATCH/seeds" corpus="$SCRATCH/corpus" artifacts="$SCRATCH/artifacts"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"
PITH_FUZZ_SEEDS="$seeds" "$bin"

# A campaign first runs its whole corpus. Past FUZZ_CORPUS_MAX files the corpus is cut to a smallest subset with the
# same coverage (libFuzzer -merge) so that make test stays bounded as the corpus grows over runs; if that fails (an
# input in it crashes), the corpus is kept and the campaign below reports the crash.
if [ "$(ls "$corpus" | wc -l)" -gt "${FUZZ_CORPUS_MAX:-2000}" ]; then
    echo "fuzz: minimizing the corpus ($(ls "$corpus" | wc -l) files)"
    rm -rf "$corpus.min"
    mkdir -p "$corpus.min"
    if "$bin" -merge=1 -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 "$corpus.min" "$corpus" >"$SCRATCH/merge.log" 2>&1; then
        rm -rf "$corpus"
        mv "$corpus.min" "$corpus"
    else
        rm -rf "$corpus.min"
    fi
fi

log="$SCRATCH/fuzz.log"
echo "fuzz: fuzzing for ${FUZZ_SECONDS}s (log: $log)"
status=0
"$bin" -max_total_time="$FUZZ_SECONDS" -runs="$((FUZZ_RUNS > 0 ? FUZZ_RUNS : -1))" \
    -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 -max_len=65536 \
    -dict=scripts/fuzz.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" "$seeds" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
echo "fuzz: ${runs:-?} executions, ${speed:-?}/s, ${coverage:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs"
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED (libFuzzer exit $status); the finding:" >&2
    grep -E -A40 "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|==[0-9]+==ERROR|SUMMARY|Test unit written" "$log" | tail -80 >&2
    exit "$status"
fi
