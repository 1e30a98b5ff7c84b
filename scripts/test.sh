#!/usr/bin/env bash
# Sets up (if needed), builds, and runs every test suite:
#   native   ctest over the native unit and integration tests (build/)
#   wasm     the shared and the browser app's unit tests compiled to WebAssembly, under Node
#   e2e      browser end-to-end tests: Playwright driving Debian's headless Chromium against a
#            meshwork-server that each test starts on 127.0.0.1 with ephemeral ports
# Exits non-zero if a suite fails or runs no test; the last line is "N passed, N failed".
#   scripts/test.sh [--skip-setup] [--suite native|wasm|e2e]...
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

skip_setup=0 suites=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-setup) skip_setup=1 ;;
    --suite) shift; suites+=("$1") ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#suites[@]} -gt 0 ] || suites=(native wasm e2e)

if [ $skip_setup -eq 0 ]; then
  "$ROOT/scripts/setup.sh" || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
"$ROOT/scripts/build.sh" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
logs="$ROOT/build/test-logs"
mkdir -p "$logs"
total_pass=0 total_fail=0 summary=()

record() {  # suite passed failed
  local s=$1 p=$2 f=$3
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "[test] suite $s ran no test: counted as a failure"
    f=1
  fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  summary+=("$s: $p passed, $f failed")
}

run_native() {
  local log="$logs/native.log"
  ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300 2>&1 | tee "$log"
  local line p f n
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  n=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) tests? failed.*/\1/' <<<"$line")
  n=${n:-0}; f=${f:-0}; p=$((n - f))
  grep -q "No tests were found" "$log" && { p=0; f=0; }
  record native "$p" "$f"
}

run_wasm() {
  local log="$logs/wasm.log" rc=0 p f t
  : >"$log"
  # The shared unit tests, then the browser app's (webclient logic without ImGui).
  for t in mw_shared_tests mw_webclient_tests; do
    (cd build/wasm && node --no-experimental-fetch "bin/$t.js") 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
  done
  p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | sed -E 's/.*\] ([0-9]+).*/\1/' | awk '{s += $1} END {print s + 0}')
  f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | sed -E 's/.*\] ([0-9]+).*/\1/' | awk '{s += $1} END {print s + 0}')
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  record wasm "$p" "$f"
}

run_e2e() {
  local log="$logs/e2e.log" rc p f
  node --test tests/e2e/*.test.mjs 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -E '^# pass [0-9]+' "$log" | awk '{print $3}' | tail -1)
  f=$(grep -E '^# fail [0-9]+' "$log" | awk '{print $3}' | tail -1)
  p=${p:-0}; f=${f:-0}
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  record e2e "$p" "$f"
}

for s in "${suites[@]}"; do
  echo "[test] ===== suite $s ====="
  case "$s" in
    native) run_native ;;
    wasm) run_wasm ;;
    e2e) run_e2e ;;
    *) echo "unknown suite $s"; record "$s" 0 1 ;;
  esac
done

echo "[test] ===== summary ====="
for line in "${summary[@]}"; do echo "[test] $line"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
