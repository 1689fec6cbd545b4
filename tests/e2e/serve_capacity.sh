#!/usr/bin/env bash
# serve_capacity.sh: titan serve --parallel 1 with two long requests at once
# (a random nano with a 4096-token context on the slow ref backend, so a
# 400-token request lasts about a second, a 4000-token one many). With
# --wait 0 the second gets 503 (JSON, Retry-After) while the first finishes
# whole; with --wait 30 the second waits for the slot and both finish. A
# client that goes away in the middle of a request (whole or streamed) frees
# the slot at once: with --wait 0 the next request gets it, not 503; one that
# goes away in the middle of a /v1/score frees the scorer. Never a crash.
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/serve.sh
command -v curl >/dev/null || fail "curl is missing (tools/install-deps.sh --test)"
tmp=$(mktemp -d)
trap '[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
sed -e 's/"max_seq_len": 256/"max_seq_len": 4096/' -e 's/"yarn_orig_ctx": 256/"yarn_orig_ctx": 4096/' \
    tools/configs/nano.json >"$tmp/long.json"
"$TITAN" init --config "$tmp/long.json" -o "$tmp/long.tart" >/dev/null
long='{"prompt": "hello", "max_tokens": 400, "temperature": 0}'

# health_until FIELD VALUE TRIES: poll /health every 20 ms until FIELD is VALUE.
health_until() {
    local i
    for i in $(seq 1 "$3"); do
        req GET /health
        [ "$(json_field ".$1")" = "$2" ] && return 0
        sleep 0.02
    done
    return 1
}

# first_busy [BODY]: start the long request (or BODY) in the background (its
# reply in $tmp/first), return once the slot is taken.
first_busy() {
    curl -sS -o "$tmp/first" -w '%{http_code}' "$url/v1/completions" -d "${1:-$long}" \
        >"$tmp/first_code" 2>/dev/null &
    first=$!
    health_until slots_idle 0 200 || fail "the first request never took the slot"
}

serve_start "$tmp/log" -m "$tmp/long.tart" --backend ref --threads 1 --parallel 1 --wait 0
first_busy
out=$(curl -sS -i "$url/v1/completions" -d "$long")
grep -q '^HTTP/1.1 503' <<<"$out" || fail "second request: ${out:0:300}"
grep -qi '^Retry-After: 1' <<<"$out" || fail "no Retry-After"
grep -q '"code":503' <<<"$out" || fail "no JSON error"
wait "$first"
[ "$(cat "$tmp/first_code")" = 200 ] || fail "first request: $(cat "$tmp/first")"
body=$(cat "$tmp/first")
[ "$(json_field .usage.completion_tokens)" = 400 ] || fail "first request cut: $body"
req POST /v1/completions '{"prompt": "hello", "max_tokens": 4}'
[ "$code" = 200 ] || fail "after the 503: $code"

# A client killed mid-request: its slot is free within a second (the whole
# request would take many), and the next request gets it.
longer='{"prompt": "hello", "max_tokens": 4000, "temperature": 0'
for how in '}' ', "stream": true}'; do
    first_busy "$longer$how"
    kill -KILL "$first"
    wait "$first" 2>/dev/null || true
    health_until slots_idle 1 50 || fail "slot still busy after its client went ($how)"
    req POST /v1/completions '{"prompt": "hello", "max_tokens": 4}'
    [ "$code" = 200 ] || fail "after a client went ($how): $code $body"
done
serve_stop

# A /v1/score client killed mid-score (the whole text takes tens of seconds):
# the scorer is free within five seconds and the next score gets it.
serve_start "$tmp/log" -m tools/data/model/nano.tart --threads 1 --wait 0
seq 1 60000 | jq -Rs '{text: .}' >"$tmp/big.json"
curl -sS -o /dev/null "$url/v1/score" --data-binary @"$tmp/big.json" 2>/dev/null &
first=$!
health_until scorer_idle false 200 || fail "the score never took the scorer"
kill -KILL "$first"
wait "$first" 2>/dev/null || true
health_until scorer_idle true 250 || fail "the scorer is still busy after its client went"
req POST /v1/score '{"text": "hello, world"}'
[ "$code" = 200 ] || fail "a score after a client went: $code $body"
serve_stop

serve_start "$tmp/log" -m "$tmp/long.tart" --backend ref --threads 1 --parallel 1 --wait 30
first_busy
req POST /v1/completions "$long"
[ "$code" = 200 ] && [ "$(json_field .usage.completion_tokens)" = 400 ] ||
    fail "the waiting request: $code $body"
second=$body
wait "$first"
[ "$(cat "$tmp/first_code")" = 200 ] || fail "first request: $(cat "$tmp/first")"
body=$(cat "$tmp/first")
[ "$(json_field .choices[0].text)" = "$(body=$second json_field .choices[0].text)" ] ||
    fail "the two greedy requests differ"
serve_stop

serve_start "$tmp/log" -m "$tmp/long.tart" --backend ref --threads 1 --parallel 2
for p in a b; do
    req POST /v1/completions "{\"prompt\": \"$p$p$p\", \"max_tokens\": 300, \"temperature\": 0}"
    json_field .choices[0].text >"$tmp/alone_$p"
done
cmp -s "$tmp/alone_a" "$tmp/alone_b" && fail "the two prompts give the same text"
for p in a b; do
    curl -sS "$url/v1/completions" -o "$tmp/both_$p.json" \
        -d "{\"prompt\": \"$p$p$p\", \"max_tokens\": 300, \"temperature\": 0}" &
done
wait $(jobs -p | grep -vx "$serve_pid")
for p in a b; do
    jq -r .choices[0].text "$tmp/both_$p.json" | cmp -s - "$tmp/alone_$p" ||
        fail "prompt $p$p$p at the same time as the other differs from it alone"
done
serve_stop
echo "serve_capacity: ok"
