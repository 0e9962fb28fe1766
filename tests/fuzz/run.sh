#!/usr/bin/env bash
# Build every fuzz target, seed it and run it for SECONDS each (default 60),
# one after another; exit 1 when any target crashed (or broke an invariant).
#   tests/fuzz/run.sh [SECONDS] [TARGET ...]      e.g. tests/fuzz/run.sh 300 dq err
# Needs clang with libFuzzer (Debian: clang and libclang-rt-14-dev); without it
# the script says so and exits 0.  Work files go to $FUZZ_WORK (default: a
# temporary folder, removed at the end); a crash input is kept as
# $FUZZ_WORK/artifacts/<target>/crash-* and printed in base64.  The seeds are
# tests/fuzz/make_seeds.py's (when numpy and astropy import), the committed
# tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/, which are
# also replayed once before fuzzing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
shift || true
cc=${CC:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: skipped ($cc not found; apt-get install clang libclang-rt-14-dev)"
    exit 0
fi
if [ -n "${FUZZ_WORK:-}" ]; then
    work=$FUZZ_WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
# a quick check that this clang links libFuzzer with the sanitizers
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    >"$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >/dev/null 2>&1; then
    echo "fuzz: skipped ($cc cannot link -fsanitize=fuzzer,address,undefined; apt-get install libclang-rt-14-dev)"
    exit 0
fi

echo "== fuzz: build"
if ! "$here/build.sh" "$work/bin"; then
    echo "fuzz: the build failed"
    exit 1
fi
if python3 -c "import numpy, astropy" 2>/dev/null; then
    python3 "$here/make_seeds.py" "$work/seeds"
else
    echo "fuzz: no generated seeds (numpy and astropy not importable)"
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for bin in "$work"/bin/fuzz_*; do targets+=("$(basename "${bin#"$work"/bin/fuzz_}")"); done
fi
echo "== fuzz: ${#targets[@]} targets x ${seconds} s: ${targets[*]}"
failed=()
for t in "${targets[@]}"; do
    bin="$work/bin/fuzz_$t"
    corpus="$work/corpus/$t"
    art="$work/artifacts/$t"
    mkdir -p "$corpus" "$art"
    # kernels: 4 KB inputs cross every (shrunk) seam; headers and chunks want more
    maxlen=4096
    case $t in fits_scan | lz4*) maxlen=16384 ;; esac
    # a fixed seed (RAMPS_FUZZ_SEED, default 1; 0 = random) makes a CI run repeatable:
    # what it finds, the next run finds again, and a clean run stays clean
    opts=(-max_len=$maxlen -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
          -seed="${RAMPS_FUZZ_SEED:-1}" -artifact_prefix="$art/")
    [ "$t" = fits_scan ] && opts+=(-dict="$here/fits.dict")
    seeds=()
    for d in "$work/seeds/$t" "$here/corpus/$t" "$here/regressions/$t"; do
        [ -d "$d" ] && seeds+=("$d")
    done
    if [ -d "$here/regressions/$t" ] && ! "$bin" "${opts[@]}" "$here/regressions/$t"/* \
            >"$work/$t.replay.log" 2>&1; then
        echo "fuzz $t: a regression input fails again"
        tail -n 30 "$work/$t.replay.log"
        failed+=("$t")
        continue
    fi
    "$bin" "${opts[@]}" -max_total_time="$seconds" "$corpus" "${seeds[@]}" >"$work/$t.log" 2>&1
    rc=$?
    stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
            "$work/$t.log" | sed 's/^stat:://' | tr '\n' ' ' | tr -s ' ')
    units=$(find "$corpus" -type f | wc -l)
    if [ $rc -ne 0 ]; then
        echo "fuzz $t: CRASH (exit $rc) after ${stats:-?}"
        grep -E 'ERROR|runtime error|invariant broken|SUMMARY|Base64|Test unit' "$work/$t.log" | head -n 20
        failed+=("$t")
    else
        echo "fuzz $t: ok, ${stats}corpus=$units"
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: crashes in ${failed[*]}: the Base64 lines above are the inputs (set FUZZ_WORK to keep $work/artifacts); keep each as tests/fuzz/regressions/<target>/<what-it-was>"
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
