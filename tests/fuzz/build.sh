#!/usr/bin/env bash
# Build the libFuzzer targets (one per tests/fuzz/fuzz_*.c) with clang into OUT
# (default build/fuzz), compiling csrc/*.c directly: no Python, no CMake.
#   tests/fuzz/build.sh [OUT]        CC=clang-16 tests/fuzz/build.sh  (another clang)
# The same flags as tests/fuzz/CMakeLists.txt (cmake -DRAMPS_FUZZ=ON): keep them in step.
# fuzz_lz4*.c are built only when csrc/ramps.h declares the lz4 decoder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build/fuzz}
cc=${CC:-clang}
mkdir -p "$out/obj"

# ASan + UBSan (any UB is a crash) and libFuzzer; no FMA contraction, as in the
# real build.  The defines shrink chunk and block sizes so that small inputs
# cross every chunk and block seam, and take the multi-thread code paths
# (run serially: the fuzz build has no OpenMP).
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
cflags=(-g -O1 -ffp-contract=off -std=gnu99 -Wall -Wextra -Wno-unknown-pragmas
        -DRAMPS_FUZZ_SPLIT -DRAMPS_PAR_MIN=16 -DRAMPS_CHUNK_MIN=8
        -DRAMPS_CHECKSUM_BLOCK=64 -DDQ_BLOCK=40 -DF16_BLOCK=24
        -I"$root/csrc" -I"$here")

objs=()
for src in "$root"/csrc/*.c; do
    obj="$out/obj/$(basename "${src%.c}").o"
    "$cc" "${cflags[@]}" "${sanitize[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    objs+=("$obj")
done
for h in "$here"/fuzz_*.c; do
    name=$(basename "${h%.c}")
    if [[ $name == fuzz_lz4* ]] && ! grep -q ramps_lz4_decompress "$root/csrc/ramps.h"; then
        echo "build.sh: $name skipped (csrc/ramps.h has no lz4 decoder yet)"
        continue
    fi
    "$cc" "${cflags[@]}" "${sanitize[@]}" -fsanitize=fuzzer "$h" "${objs[@]}" -lm -o "$out/$name"
    echo "build.sh: $out/$name"
done
