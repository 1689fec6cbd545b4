#!/usr/bin/env bash
# serve_heap.sh: titan serve makes no heap call per generated token: the
# whole server run (start-up, requests, shutdown) under the counting shim
# (tests/e2e/malloc_count.c) takes the same number of heap calls whether its
# requests generate 4 tokens each or 120. The HTTP library and the tool side
# (bodies, replies) allocate per request, never per token; the runtime's
# memory is the one arena planned at start-up.
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/heap_count.sh
source tests/e2e/lib/serve.sh
command -v curl >/dev/null || fail "curl is missing (tools/install-deps.sh --test)"
tmp=$(mktemp -d)
trap '[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
heap_shim "$tmp"

# calls_for N: heap calls of a server run whose 3 requests (2 whole, 1
# streamed) each generate N tokens.
calls_for() {
    rm -f "$tmp/count"
    MALLOC_COUNT_OUT="$tmp/count" LD_PRELOAD="$heap_preload" \
        serve_start "$tmp/log" -m tools/data/model/nano.tart --threads 1
    local r
    for r in 1 2; do
        req POST /v1/completions "{\"prompt\": \"def main(argv):\", \"max_tokens\": $1, \"temperature\": 0}"
        [ "$(json_field .usage.completion_tokens)" = "$1" ] || fail "tokens: $body"
    done
    curl -sS -N "$url/v1/completions" -d "{\"prompt\": \"def main(argv):\", \"max_tokens\": $1, \
        \"temperature\": 0, \"stream\": true}" >"$tmp/sse"
    [ "$(grep -c '^data: {' "$tmp/sse")" -gt "$1" ] || fail "stream of $1 tokens"
    serve_stop
    [ -s "$tmp/count" ] || fail "the shim wrote no count"
    cat "$tmp/count"
}
few=$(calls_for 4)
many=$(calls_for 120)
echo "heap calls: $few with 4 tokens a request, $many with 120"
[ "$few" -gt 0 ] && [ "$few" = "$many" ] || fail "heap calls grow with tokens: $few, $many"
echo "serve_heap: ok"
