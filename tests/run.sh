#!/usr/bin/env bash
# run.sh: run every cmocka unit test and end-to-end script for one build
# (BUILD=build or build-asan) and print a closing "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD TITAN="$BUILD/titan" TITAN_TRAIN="$BUILD/titan-train"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0 failed=()
run_one() {
    local name=$1; shift
    local log="$BUILD/logs/${name//\//_}.log"
    mkdir -p "$BUILD/logs"
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name (log: $log)"
        tail -n 30 "$log" | sed 's/^/     /'
    fi
}
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] && run_one "e2e/$(basename "$t" .sh)" bash "$t"
done
echo "[$BUILD] $pass passed, $fail failed"
[ "$fail" = 0 ]
