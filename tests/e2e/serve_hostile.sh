#!/usr/bin/env bash
# serve_hostile.sh: titan serve against hostile clients (run it with the
# AddressSanitizer+UBSan build, as `make test` does): bodies past --max-body
# (declared and chunked), malformed JSON, invalid UTF-8, absurd parameters,
# a prompt longer than the context, more connections than --connections (a
# thousand at once), a slow client holding a connection past --timeout. Each
# gets a clear 4xx (or its connection refused) and afterwards a normal
# request still works and SIGTERM ends the server with exit 0 (no leak under
# ASan).
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/serve.sh
command -v curl >/dev/null || fail "curl is missing (tools/install-deps.sh --test)"
tmp=$(mktemp -d)
trap '[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
serve_start "$tmp/log" -m tools/data/model/nano.tart --threads 1 --parallel 2 \
    --max-body 4096 --connections 8 --timeout 2 --wait 5

# status BODY WANT: POST BODY to /v1/completions gives WANT and a JSON error.
status() {
    req POST /v1/completions "$1"
    [ "$code" = "$2" ] || fail "want $2, got $code for ${1:0:80}: $body"
    [ "$(json_field .error.code)" = "$2" ] || fail "no JSON error: $body"
}
big=$(head -c 6000 /dev/zero | tr '\0' a)
status "{\"prompt\": \"$big\"}" 413
# chunked (no Content-Length): refused once past the limit
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    --data-binary @<(printf '{"prompt": "%s"}' "$big") "$url/v1/completions")
[ "$code" = 413 ] || fail "chunked oversize: $code"
status '{"prompt": "x"' 400
status '{"prompt": "x",}' 400
status '[1, 2]' 400
status '' 400
status "$(printf '{"prompt": "\xff\xfe bad"}')" 400
status "$(printf '{"prompt": "\xed\xa0\x80"}')" 400
status '{"prompt": "\ud800"}' 400
status "$(printf '%.0s[' $(seq 1500))" 400
status '{"prompt": "x", "max_tokens": -1}' 400
status '{"prompt": "x", "max_tokens": 1e300}' 400
status '{"prompt": "x", "max_tokens": 2.5}' 400
status '{"prompt": "x", "temperature": "hot"}' 400
status '{"prompt": "x", "top_p": 7}' 400
status '{"prompt": "x", "top_k": -3}' 400
status '{"prompt": "x", "seed": 1e99}' 400
status '{"prompt": "x", "n": 4}' 400
status '{"prompt": "x", "stream": "yes"}' 400
status '{"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}' 400
status '{"prompt": "x", "stop": [""]}' 400
status '{"prompt": ["a", "b"]}' 400
# longer than the context (256 tokens): 400, not a cut
status "{\"prompt\": \"$(printf '%.0szq ' $(seq 1300))\"}" 400
req POST /v1/chat/completions '{"messages": [{"role": 1}]}'
[ "$code" = 400 ] || fail "chat message: $code"
req POST /v1/score '{"text": 5}'
[ "$code" = 400 ] || fail "score text: $code"

# Many connections at once: each answered or refused, none hangs the server.
for i in $(seq 1 32); do
    curl -s -o /dev/null -m 20 "$url/health" &
done
wait_pids=$(jobs -p | grep -vx "$serve_pid" || true)
for p in $wait_pids; do wait "$p" || true; done

# A thousand connections opened at once and dropped: over --connections they
# are refused; the server goes on.
/usr/bin/python3 - "$port" <<'PY'
import socket, sys
held = []
for _ in range(1000):
    try:
        held.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
    except OSError:
        pass  # refused or reset: what a full server may do
for s in held:
    s.close()
PY
req GET /health
[ "$code" = 200 ] || fail "after a thousand connections: $code"

# A slow client: half a request, held past --timeout; meanwhile and after it,
# normal requests work and the held connection is closed by the server.
/usr/bin/python3 - "$port" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro")
s.settimeout(10)
t0 = time.time()
data = s.recv(100)
assert time.time() - t0 < 9, "the server kept a stalled connection"
PY
slow=$!
sleep 0.5
req POST /v1/completions '{"prompt": "def", "max_tokens": 4}'
[ "$code" = 200 ] || fail "during the slow client: $code $body"
wait "$slow" || fail "slow client"
req POST /v1/completions '{"prompt": "def main", "max_tokens": 8, "temperature": 0}'
[ "$code" = 200 ] && [ "$(json_field .usage.completion_tokens)" = 8 ] ||
    fail "after the hostile clients: $code $body"
kill -0 "$serve_pid" || fail "the server died"
serve_stop
echo "serve_hostile: ok"
