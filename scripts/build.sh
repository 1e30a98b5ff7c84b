#!/usr/bin/env bash
# Builds Meshwork: the native tree (build/: server, tools, tests, benchmarks; binaries in build/bin/)
# and the WebAssembly tree (build/wasm/: libmw_shared, the shared unit tests; the browser app into
# build/web/). Incremental: a second run with no change takes seconds (ninja + ccache).
#   scripts/build.sh              both trees
#   scripts/build.sh --native     native tree only
#   scripts/build.sh --wasm       wasm tree only
#   scripts/build.sh TARGET...    only these targets (native tree; prefix wasm: for the wasm tree)
#   scripts/build.sh --release    the browser app, then build-release/bin/meshwork-server (Release,
#                                 the app embedded: one executable to copy to a server) and
#                                 meshwork-agent, which the server hands out from beside itself
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Emscripten's optimizer needs Debian's acorn module (node-acorn).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
command -v ccache >/dev/null && ccache --max-size=5G >/dev/null 2>&1 || true

native=1 wasm=1 release=0 native_targets=() wasm_targets=()
for arg in "$@"; do
  case "$arg" in
    --native) wasm=0 ;;
    --wasm) native=0 ;;
    --release) release=1 ;;
    wasm:*) wasm_targets+=("${arg#wasm:}") ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) native_targets+=("$arg") ;;
  esac
done
if [ ${#native_targets[@]} -gt 0 ] || [ ${#wasm_targets[@]} -gt 0 ]; then
  [ ${#native_targets[@]} -gt 0 ] || native=0
  [ ${#wasm_targets[@]} -gt 0 ] || wasm=0
fi

if [ $release -eq 1 ]; then
  [ -f build/wasm/build.ninja ] || cmake --preset wasm
  cmake --build build/wasm --target meshwork-app
  [ -f build-release/build.ninja ] || cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMW_BUILD_TESTS=OFF -DMW_BUILD_BENCH=OFF -DMW_EMBED_WEB_DIR="$ROOT/build/web"
  cmake --build build-release --target meshwork-server meshwork-agent
  echo "release binaries: $ROOT/build-release/bin/meshwork-server (browser app embedded) and meshwork-agent beside it (served at /meshagents)"
  exit 0
fi
if [ $native -eq 1 ]; then
  [ -f build/build.ninja ] || cmake --preset native-release
  cmake --build build -- "${native_targets[@]}"
fi
if [ $wasm -eq 1 ]; then
  [ -f build/wasm/build.ninja ] || cmake --preset wasm
  cmake --build build/wasm -- "${wasm_targets[@]}"
fi
