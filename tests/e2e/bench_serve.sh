#!/usr/bin/env bash
# bench_serve.sh: make bench-serve's script runs end to end on the shipped
# model (two short repeats, JSON: every request counted, rates positive), its
# report computes hand-worked medians and ratios from known rows, refuses
# incomplete rows, and a flag without its value is a usage error.
source "$(dirname "$0")/lib/common.sh"
report=tools/bench/bench_serve_report.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

BUILD=$BUILD tools/bench/bench_serve.sh --requests 2 --repeats 2 --tokens 8 --json >"$tmp/out"
jq -e '.repeats == 2 and .clients == 2 and .decode.tokens_per_s > 0 and
    .one.requests_per_s > 0 and .many.tokens_per_s > 0 and .many_over_one > 0' \
    "$tmp/out" >/dev/null || fail "bench_serve --json: $(cat "$tmp/out")"

# Three repeats (tokens/s): decode 10000, 12500, 10000 -> 10000; one 5000,
# 5000, 4000 -> 5000; many 3000, 8000, 4800 -> 4800. Ratios per repeat, then
# the median: one/decode 0.5, 0.4, 0.4 -> 0.4; many/one 0.6, 1.6, 1.2 -> 1.2.
cat >"$tmp/rows" <<'ROWS'
1 decode 10 1000 0.1
1 one 10 1000 0.2
1 many 20 1500 0.5
2 decode 10 1000 0.08
2 one 10 1000 0.2
2 many 20 2000 0.25
3 decode 10 1000 0.1
3 one 10 1000 0.25
3 many 20 1200 0.25
ROWS
got=$(awk -v k=2 -v p=2 -v th=1 -v m=x -v n=100 -v json=1 -f "$report" "$tmp/rows" |
    jq -r '"\(.decode.tokens_per_s) \(.one.tokens_per_s) \(.many.tokens_per_s) \(.one_over_decode) \(.many_over_one)"')
[ "$got" = "10000 5000 4800 0.4 1.2" ] || fail "report medians: $got"
head -5 "$tmp/rows" >"$tmp/short"
exits 1 awk -v json=1 -f "$report" "$tmp/short" || fail "incomplete rows accepted"
exits 2 tools/bench/bench_serve.sh --repeats || fail "--repeats without a value"
echo "bench_serve ok"
