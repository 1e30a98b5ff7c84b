#!/usr/bin/env bash
# Runs one libFuzzer target built with clang under ASan+UBSan:
#   scripts/fuzz.sh NAME SECONDS [libFuzzer flags]
# Seeds come from tests/fuzz/corpus/NAME/; the growing corpus is kept in build-fuzz/corpus/NAME/,
# crashes in build-fuzz/artifacts/NAME/. Exits non-zero on a finding.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
name=${1:?usage: scripts/fuzz.sh NAME SECONDS}
seconds=${2:?usage: scripts/fuzz.sh NAME SECONDS}
shift 2
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
[ -f build-fuzz/build.ninja ] || cmake --preset fuzz
cmake --build build-fuzz --target "fuzz_$name"
mkdir -p "build-fuzz/corpus/$name" "build-fuzz/artifacts/$name"
seeds="tests/fuzz/corpus/$name"
[ -d "$seeds" ] || seeds=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "build-fuzz/bin/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="build-fuzz/artifacts/$name/" -print_final_stats=1 "$@" "build-fuzz/corpus/$name" $seeds
