#!/usr/bin/env bash
# smoke.sh SECONDS: run every built libFuzzer target briefly on its seed corpus.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-20}
n=0
for f in build-fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    mkdir -p "build-fuzz/corpus/$name"
    seeds="tests/fuzz/seeds/$name"; [ -d "$seeds" ] || seeds=""
    # tests/fuzz/NAME.seeds DIR generates seeds; NAME.dict is a dictionary.
    gen="tests/fuzz/$name.seeds"; dict="tests/fuzz/$name.dict"; extra=""
    [ -x "$gen" ] && "$gen" "build-fuzz/seeds/$name" && seeds="$seeds build-fuzz/seeds/$name"
    [ -f "$dict" ] && extra="-dict=$dict"
    "$f" -max_total_time="$secs" -rss_limit_mb=2048 $extra "build-fuzz/corpus/$name" $seeds 2>&1 | tail -n 2
    n=$((n + 1))
done
echo "fuzz smoke: $n targets, ${secs}s each"
