#!/usr/bin/env bash
# smoke.sh SECONDS: run every built libFuzzer target briefly on its seed corpus.
# A target that crashes, leaks or times out fails the run: its log is shown
# and the input that did it is kept in build-fuzz/crashes/NAME/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
n=0 failed=()
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    f=build-fuzz/$name
    [ -x "$f" ] || { echo "FAIL: $f not built (make fuzz)"; exit 1; }
    mkdir -p "build-fuzz/corpus/$name" "build-fuzz/crashes/$name"
    seeds=()
    [ -d "tests/fuzz/seeds/$name" ] && seeds+=("tests/fuzz/seeds/$name")
    # tests/fuzz/NAME.seeds DIR generates seeds; NAME.dict is a dictionary.
    gen="tests/fuzz/$name.seeds" dict="tests/fuzz/$name.dict" extra=()
    if [ -x "$gen" ]; then
        "$gen" "build-fuzz/seeds/$name" || { echo "FAIL: $gen"; exit 1; }
        seeds+=("build-fuzz/seeds/$name")
    fi
    [ -f "$dict" ] && extra+=("-dict=$dict")
    log=build-fuzz/$name.log
    if "$f" -max_total_time="$secs" -rss_limit_mb=2048 \
        -artifact_prefix="build-fuzz/crashes/$name/" "${extra[@]}" \
        "build-fuzz/corpus/$name" "${seeds[@]}" >"$log" 2>&1; then
        echo "$name: $(tail -n 1 "$log")"
    else
        echo "FAIL: $name exited $? (log: $log, inputs: build-fuzz/crashes/$name/)"
        { grep -v '^#' "$log" || true; } | tail -n 60 | sed 's/^/     /'
        failed+=("$name")
    fi
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no fuzz targets in tests/fuzz"; exit 1; }
echo "fuzz smoke: $n targets, ${secs}s each, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} = 0 ]
