#!/usr/bin/env bash
# serve_heap.sh: titan serve makes no heap call per generated token: the
# whole server run (start-up, requests, shutdown) under the counting shim
# (tests/e2e/malloc_count.c) takes the same number of heap calls whether its
# requests generate 4 tokens each or 120. The HTTP library and the tool side
# (bodies, replies) allocate per request, never per token; the runtime's
# memory is the one arena planned at start-up. The same for a small xenith
# model (SPEC section 9: streams, MoE, segment memory).
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/heap_count.sh
source tests/e2e/lib/serve.sh
command -v curl >/dev/null || fail "curl is missing (tools/install-deps.sh --test)"
tmp=$(mktemp -d)
trap '[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
heap_shim "$tmp"

# calls_for MODEL N: sets calls to the heap calls of a server run whose 3
# requests (2 whole, 1 streamed) each generate N tokens. (Not in a $(...)
# subshell: a failure there would leave the server holding its pipe.)
calls_for() {
    rm -f "$tmp/count"
    MALLOC_COUNT_OUT="$tmp/count" LD_PRELOAD="$heap_preload" \
        serve_start "$tmp/log" -m "$1" --threads 1 --max-body 4096
    local r
    for r in 1 2; do
        req POST /v1/completions "{\"prompt\": \"def main(argv):\", \"max_tokens\": $2, \"temperature\": 0}"
        [ "$(json_field .usage.completion_tokens)" = "$2" ] || fail "$1 tokens: $body"
    done
    curl -sS -N "$url/v1/completions" -d "{\"prompt\": \"def main(argv):\", \"max_tokens\": $2, \
        \"temperature\": 0, \"stream\": true}" >"$tmp/sse"
    body=$(grep '^data: {' "$tmp/sse" | tail -n 1 | cut -c7-)
    [ "$(json_field .usage.completion_tokens)" = "$2" ] || fail "$1: stream of $2 tokens: $body"
    serve_stop
    [ -s "$tmp/count" ] || fail "the shim wrote no count"
    calls=$(cat "$tmp/count")
}
# same_calls MODEL: the count with 4 tokens a request equals the one with 120.
same_calls() {
    local few many
    calls_for "$1" 4
    few=$calls
    calls_for "$1" 120
    many=$calls
    echo "$1: heap calls: $few with 4 tokens a request, $many with 120"
    [ "$few" -gt 0 ] && [ "$few" = "$many" ] || fail "$1: heap calls grow with tokens: $few, $many"
}
same_calls tools/data/model/nano.tart
source tests/e2e/lib/xenith_small.sh
xenith_small "$tmp"
same_calls "$tmp/x.tart"
echo "serve_heap: ok"
