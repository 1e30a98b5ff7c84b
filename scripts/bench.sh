#!/usr/bin/env bash
# Runs a benchmark area and prints its figures as ratios against a baseline measured in the same
# run: scripts/bench.sh NAME [flags]. NAME is an area with a native Google Benchmark program
# build/bin/mw_bench_NAME (util, apf, redir, wsman, ...; results kept under build/bench/), or a
# Node script tests/bench/NAME.bench.mjs comparing against another program (server: MeshCentral;
# web: the browser app in headless Chromium against noVNC).
# Record what you publish in docs/performance.md (figure, baseline, ratio, machine, date).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
name=${1:-}
if [ -z "$name" ]; then
  echo "usage: scripts/bench.sh NAME [flags]; available:" >&2
  ls tests/bench/*.cmake tests/bench/*.bench.mjs 2>/dev/null | xargs -n1 basename | sed 's/\.cmake$//; s/\.bench\.mjs$//' >&2
  exit 2
fi
shift
# Areas measured against another program (MeshCentral, noVNC, xterm.js) are Node scripts.
if [ -f "tests/bench/$name.bench.mjs" ]; then
  # With a Google Benchmark program as well (tests/bench/NAME.cmake), the script runs it natively
  # and in wasm itself and compares with the other program on the same input.
  if [ -f "tests/bench/$name.cmake" ]; then
    # mwcodec records inputs for some (rfb-record).
    "$ROOT/scripts/build.sh" "mw_bench_$name" "wasm:mw_bench_$name" mwcodec
  else
    # xanimate: the changing screen the browser app's desktop figures need (web); ctlbench: the
    # control channel's load (control).
    "$ROOT/scripts/build.sh" meshwork-server meshwork-agent amtsim xanimate ctlbench wasm:meshwork-app
  fi
  exec node "tests/bench/$name.bench.mjs" "$@"
fi
"$ROOT/scripts/build.sh" "mw_bench_$name" "wasm:mw_bench_$name"
mkdir -p build/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="build/bench/$name-$stamp.json"
wasm_out="build/bench/$name-$stamp-wasm.json"
"build/bin/mw_bench_$name" --benchmark_format=console --benchmark_out="$out" --benchmark_out_format=json \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@"
# The same benchmark sources compiled to WebAssembly, under Node (tests/bench/wasm/ harness).
(cd build/wasm && node --no-experimental-fetch "bin/mw_bench_$name.js" --benchmark_repetitions=3 \
  --benchmark_out="$ROOT/$wasm_out")
echo
node tests/bench/report.mjs "$out" "$wasm_out"
