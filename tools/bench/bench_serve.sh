#!/usr/bin/env bash
# bench_serve.sh [-m ART] [--parallel K] [--clients K] [--requests R] [--tokens N]
# [--threads T] [--repeats N] [--json]: titan serve under load. Each repeat
# runs, one after the other (interleaved, so a shift in the host's load hits
# all three alike): single-client decode without the server (`titan run
# --greedy`, N tokens, T threads: the baseline), one client alone (R requests
# of N greedy tokens in a row) and K clients at once against --parallel K
# slots (R requests each). It reports requests/s and tokens/s of each run, the
# median over repeats, and the ratios: one client to plain decode (what HTTP
# and prefill cost) and K clients to one. Run it on a quiet machine for
# numbers worth keeping (`make bench-serve`).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
model=tools/data/model/nano.tart parallel=2 clients=2 requests=100 tokens=128 threads=1
repeats=3 json=0
usage="usage: $0 [-m ART] [--parallel K] [--clients K] [--requests R] [--tokens N] [--threads T] [--repeats N] [--json]"
while [ $# -gt 0 ]; do
    if [ "$1" = --json ]; then json=1; shift; continue; fi
    [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
    case $1 in
    --repeats) repeats=$2 ;;
    -m) model=$2 ;;
    --parallel) parallel=$2 ;;
    --clients) clients=$2 ;;
    --requests) requests=$2 ;;
    --tokens) tokens=$2 ;;
    --threads) threads=$2 ;;
    *) echo "$usage" >&2; exit 2 ;;
    esac
    shift 2
done
tmp=$(mktemp -d)
"$BUILD/titan" serve -m "$model" --port 0 --parallel "$parallel" --threads "$threads" \
    --wait 600 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for i in $(seq 1 100); do
    port=$(sed -n 's|.* on http://[^ ]*:\([0-9]*\)/ .*|\1|p' "$tmp/log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/log" >&2; exit 1; }
# The prompt must not make the model end early: a code line, greedy.
prompt='def main(argv):'
body="{\"prompt\": \"$prompt\", \"max_tokens\": $tokens, \"temperature\": 0}"

# client: R requests in a row on one kept-alive connection (one curl, so
# process start-up is not measured); prints the completion tokens of each.
client() {
    local urls=()
    for r in $(seq 1 "$requests"); do urls+=("http://127.0.0.1:$port/v1/completions"); done
    curl -sS -d "$body" "${urls[@]}" | jq .usage.completion_tokens
}

# run K: K clients at once; prints "requests tokens seconds".
run() {
    local k=$1 t0 t1 c
    t0=$(date +%s.%N)
    for c in $(seq 1 "$k"); do client >"$tmp/c$c" & done
    wait $(jobs -p | grep -vx "$pid")
    t1=$(date +%s.%N)
    cat "$tmp"/c* | awk -v t="$(echo "$t1 - $t0" | bc -l)" '{ n++; s += $1 } END { print n, s, t }'
    rm -f "$tmp"/c*
}

# decode: plain single-client decode without the server, R runs of `titan
# run` (its own decode timer: no process start-up or prefill); prints
# "requests tokens seconds" as run does.
decode() {
    for r in $(seq 1 "$requests"); do
        "$BUILD/titan" run -m "$model" -p "$prompt" -n "$tokens" --greedy --threads "$threads" \
            --json | jq -r '"\(.tokens) \(.decode_seconds)"' || exit 1
    done | awk '{ n++; s += $1; t += $2 } END { print n, s, t }'
}

# Rows "repeat kind requests tokens seconds", kind: decode, one or many
# (assignments, so a failed run stops the script).
for r in $(seq 1 "$repeats"); do
    plain=$(decode)
    one=$(run 1)
    many=$(run "$clients")
    printf '%s decode %s\n%s one %s\n%s many %s\n' "$r" "$plain" "$r" "$one" "$r" "$many"
    if [ -t 2 ]; then echo "repeat $r/$repeats done" >&2; fi
done >"$tmp/rows"
kill -TERM $pid
wait $pid

awk -v k="$clients" -v p="$parallel" -v th="$threads" -v m="$model" -v n="$tokens" \
    -v json="$json" -f tools/bench/bench_serve_report.awk "$tmp/rows"
