# serve.sh: sourced after common.sh by the titan serve tests.
# serve_start LOG ARGS...: start `titan serve --port 0 ARGS` in the background
# ($serve_pid), wait for its line on LOG and set $port and $url.
# serve_stop: SIGTERM, and the server must exit 0 (under AddressSanitizer a
# leak makes the exit code non-zero). req METHOD PATH [BODY]: the reply's
# body in $body and its status in $code (curl, pipefail-safe).
command -v jq >/dev/null || fail "jq is missing (tools/install-deps.sh --test)"
serve_start() {
    local log=$1 i
    shift
    "$TITAN" serve --port 0 "$@" 2>"$log" &
    serve_pid=$!
    for i in $(seq 1 300); do
        port=$(sed -n 's|.* on http://[^ ]*:\([0-9]*\)/ .*|\1|p' "$log")
        [ -n "$port" ] && break
        kill -0 "$serve_pid" 2>/dev/null || { cat "$log" >&2; fail "titan serve exited"; }
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$log" >&2; fail "titan serve did not start"; }
    url=http://127.0.0.1:$port
}

serve_stop() {
    local rc=0
    kill -TERM "$serve_pid"
    wait "$serve_pid" || rc=$?
    serve_pid=
    [ "$rc" = 0 ] || fail "titan serve exited $rc on SIGTERM"
}

req() {
    local method=$1 path=$2 out
    if [ $# -ge 3 ]; then
        out=$(curl -sS -X "$method" -H 'Content-Type: application/json' \
            --data-binary "$3" -w '\n%{http_code}' "$url$path")
    else
        out=$(curl -sS -X "$method" -w '\n%{http_code}' "$url$path")
    fi
    code=${out##*$'\n'}
    body=${out%$'\n'*}
}

# json_field FILTER: jq's raw output of FILTER over the JSON in $body (jq
# starts in milliseconds where python3 takes half a second on a busy host).
json_field() {
    jq -r "$1" <<<"$body"
}
