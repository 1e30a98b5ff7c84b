#!/usr/bin/env bash
# Runs a benchmark area and prints its figures as ratios against a baseline measured in the same
# run: scripts/bench.sh NAME [google-benchmark flags]. NAME is an area with a native program
# build/bin/mw_bench_NAME (util, apf, redir, wsman, ...). Results are kept under build/bench/.
# Record what you publish in docs/performance.md (figure, baseline, ratio, machine, date).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
name=${1:-}
if [ -z "$name" ]; then
  echo "usage: scripts/bench.sh NAME [flags]; available:" >&2
  ls tests/bench/*.cmake 2>/dev/null | xargs -n1 basename | sed 's/\.cmake$//' >&2
  exit 2
fi
shift
"$ROOT/scripts/build.sh" "mw_bench_$name"
mkdir -p build/bench
out="build/bench/$name-$(date -u +%Y%m%dT%H%M%SZ).json"
"build/bin/mw_bench_$name" --benchmark_format=console --benchmark_out="$out" --benchmark_out_format=json \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@"
echo
node tests/bench/report.mjs "$out"
