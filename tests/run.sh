#!/usr/bin/env bash
# run.sh [--no-skip]: run every cmocka unit test (one binary per
# tests/unit/test_*.c) and every end-to-end script for one build (BUILD=build
# or build-asan), each with its seconds; closing lines: the five slowest and
# "N passed, N failed, N skipped".
# A skip is a test that cannot run here: an e2e script that exits 77, a cmocka
# test that calls skip(). Skips are listed by name, never counted as passes;
# --no-skip or TITAN_NO_SKIP=1 (CI) makes any skip fail the run.
set -uo pipefail
cd "$(dirname "$0")/.."
no_skip=${TITAN_NO_SKIP:-0}
for arg in "$@"; do
    case $arg in
    --no-skip) no_skip=1 ;;
    *) echo "usage: tests/run.sh [--no-skip]" >&2; exit 2 ;;
    esac
done
BUILD=${BUILD:-build}
export BUILD TITAN="$BUILD/titan" TITAN_TRAIN="$BUILD/titan-train"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=STDOUT # the summary lines read below
pass=0 fail=0 skip=0 cases=0 failed=() skipped=() times=()
mkdir -p "$BUILD/logs"

# cmocka_verdict LOG: 0 when cmocka's summaries (one per group) say every
# test run passed, 77 when some were skipped (names in $why), else 1: a main
# that returns 0 after failures, or runs nothing, does not pass.
cmocka_verdict() {
    local run ok skipped_n failed_n
    read -r run ok skipped_n failed_n < <(awk '
        function n(s) { gsub(/[^0-9]/, "", s); return s + 0 }
        /^\[==========\] [0-9]+ test\(s\) run\.$/ { run += n($2) }
        /^\[  PASSED  \] [0-9]+ test\(s\)\.$/ { ok += n($0) }
        /^\[  SKIPPED \] [0-9]+ test\(s\), listed below:$/ { skipped += n($0) }
        /^\[  FAILED  \]/ { failed++ }
        END { print run + 0, ok + 0, skipped + 0, failed + 0 }' "$1")
    if [ "$run" = 0 ] || [ "$failed_n" != 0 ] || [ $((ok + skipped_n)) != "$run" ]; then
        why="cmocka: $run run, $ok passed, $skipped_n skipped, $failed_n failure lines"
        return 1
    fi
    cases=$((cases + run))
    [ "$skipped_n" = 0 ] && return 0
    why="cmocka skipped $(sed -n 's/^\[  SKIPPED \] \([A-Za-z_0-9]*\)$/\1/p' "$1" |
        sort -u | tr '\n' ' ')"
    return 77
}

# run_one NAME KIND CMD...: run one test, its output in $BUILD/logs.
run_one() {
    local name=$1 kind=$2 rc log="$BUILD/logs/${1//\//_}.log" t0=$SECONDS secs
    shift 2
    why=
    "$@" >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - t0))
    times+=("$secs $name")
    if [ "$kind" = unit ] && [ $rc = 0 ]; then cmocka_verdict "$log"; rc=$?; fi
    if [ $rc = 77 ] && [ -z "$why" ]; then why=$(tail -n 1 "$log"); fi
    case $rc in
    0) pass=$((pass + 1)); echo "ok   $name ($secs s)" ;;
    77) skip=$((skip + 1)); skipped+=("$name"); echo "SKIP $name: ${why#SKIP: }" ;;
    *)
        fail=$((fail + 1)); failed+=("$name")
        echo "FAIL $name (exit $rc${why:+, $why}; log: $log)"
        tail -n 30 "$log" | sed 's/^/     /'
        ;;
    esac
}

shopt -s nullglob
units=(tests/unit/test_*.c) scripts=(tests/e2e/*.sh)
for src in "${units[@]}"; do
    bin=$BUILD/tests/$(basename "$src" .c)
    if [ -x "$bin" ]; then
        run_one "unit/${bin##*/}" unit "$bin"
    else
        run_one "unit/${bin##*/}" unit sh -c "echo '$bin: not built (make check)'; exit 1"
    fi
done
for t in "${scripts[@]}"; do
    run_one "e2e/$(basename "$t" .sh)" e2e bash "$t"
done

# The slowest tests, so the suite's time budget (CI: 15 minutes) stays visible.
echo "[$BUILD] ${SECONDS} s; slowest: $(printf '%s\n' "${times[@]}" | sort -rn | head -n 5 |
    awk '{printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1}')"
echo "[$BUILD] $pass passed, $fail failed, $skip skipped" \
    "(${#units[@]} unit binaries with $cases cmocka tests, ${#scripts[@]} e2e scripts)"
[ $fail = 0 ] || echo "[$BUILD] failed: ${failed[*]}"
[ $skip = 0 ] || echo "[$BUILD] skipped: ${skipped[*]}"
if [ ${#units[@]} = 0 ] || [ ${#scripts[@]} = 0 ] ||
    [ $((pass + fail + skip)) != $((${#units[@]} + ${#scripts[@]})) ]; then
    echo "[$BUILD] FAIL: ${#units[@]} unit tests and ${#scripts[@]} e2e scripts found," \
        "$((pass + fail + skip)) results"
    exit 1
fi
[ $fail = 0 ] || exit 1
if [ $skip != 0 ] && [ "$no_skip" = 1 ]; then
    echo "[$BUILD] FAIL: skips are failures with --no-skip / TITAN_NO_SKIP=1"
    exit 1
fi
exit 0
