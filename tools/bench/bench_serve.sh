#!/usr/bin/env bash
# bench_serve.sh [-m ART] [--parallel K] [--clients K] [--requests R] [--tokens N]
# [--threads T]: titan serve under load. First one client alone (R requests
# of N greedy tokens, one after the other: requests/s and tokens/s of single-
# client decode), then K clients at once against --parallel K slots (each R
# requests): requests/s, tokens/s overall and the ratio to one client. Run it
# on a quiet machine for numbers worth keeping (`make bench-serve`).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
model=tools/data/model/nano.tart parallel=2 clients=2 requests=20 tokens=128 threads=1
while [ $# -gt 0 ]; do
    case $1 in
    -m) model=$2 ;;
    --parallel) parallel=$2 ;;
    --clients) clients=$2 ;;
    --requests) requests=$2 ;;
    --tokens) tokens=$2 ;;
    --threads) threads=$2 ;;
    *) echo "usage: $0 [-m ART] [--parallel K] [--clients K] [--requests R] [--tokens N] [--threads T]" >&2; exit 2 ;;
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
body="{\"prompt\": \"def main(argv):\", \"max_tokens\": $tokens, \"temperature\": 0}"

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

read -r n1 tok1 s1 < <(run 1)
read -r nk tokk sk < <(run "$clients")
awk -v n1="$n1" -v t1="$tok1" -v s1="$s1" -v nk="$nk" -v tk="$tokk" -v sk="$sk" \
    -v k="$clients" -v p="$parallel" -v th="$threads" -v m="$model" 'BEGIN {
    printf "bench_serve %s: --parallel %d, --threads %d per slot\n", m, p, th
    printf "1 client:  %d requests, %d tokens in %.2f s: %.2f requests/s, %.0f tokens/s\n", n1, t1, s1, n1 / s1, t1 / s1
    printf "%d clients: %d requests, %d tokens in %.2f s: %.2f requests/s, %.0f tokens/s (%.2fx one client)\n", k, nk, tk, sk, nk / sk, tk / sk, (tk / sk) / (t1 / s1)
}'
kill -TERM $pid
wait $pid
