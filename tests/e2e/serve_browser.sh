#!/usr/bin/env bash
# serve_browser.sh: titan serve's page in a real browser: Debian's chromium,
# headless, driven through the DevTools protocol (tests/e2e/lib/
# serve_browser.py): it types a prompt, clicks Generate, the output grows
# over several reads while the tokens stream in (the ref backend keeps the
# stream slow enough to watch) and ends as the API's greedy text; then it
# scores a text and the page shows the API's val_bpb and baselines.
# Without chromium it skips, and fails under TITAN_NO_SKIP=1 (CI).
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/serve.sh
chrome=$(command -v chromium || true)
if [ -z "$chrome" ] || ! /usr/bin/python3 -c "import websocket" 2>/dev/null; then
    [ "${TITAN_NO_SKIP:-0}" = 1 ] &&
        fail "chromium or python3-websocket is missing (tools/install-deps.sh --test)"
    skip "chromium or python3-websocket is missing (tools/install-deps.sh --test)"
fi
tmp=$(mktemp -d)
browser=
# chromium's helper processes may still write its profile for a moment after
# it ends: remove the folder until it is gone.
cleanup() {
    [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null
    if [ -n "$browser" ]; then
        kill "$browser" 2>/dev/null || true
        wait "$browser" 2>/dev/null || true
    fi
    for _ in $(seq 1 50); do
        rm -rf "$tmp" 2>/dev/null && return 0
        sleep 0.1
    done
    return 0
}
trap cleanup EXIT
serve_start "$tmp/log" -m tools/data/model/nano.tart --backend ref --threads 1
"$chrome" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions \
    --user-data-dir="$tmp/profile" --remote-debugging-port=0 about:blank \
    >"$tmp/chrome.log" 2>&1 &
browser=$!
for i in $(seq 1 300); do
    [ -s "$tmp/profile/DevToolsActivePort" ] && break
    kill -0 "$browser" 2>/dev/null || { cat "$tmp/chrome.log" >&2; fail "chromium exited"; }
    sleep 0.1
done
cdp=$(head -n 1 "$tmp/profile/DevToolsActivePort")
[ -n "$cdp" ] || fail "chromium gave no DevTools port"
/usr/bin/python3 tests/e2e/lib/serve_browser.py "$cdp" "$url/" >"$tmp/seen.json"
seen=$(cat "$tmp/seen.json")

req POST /v1/completions '{"prompt": "def main(argv):", "max_tokens": 200, "temperature": 0}'
want=$(json_field .choices[0].text)
body=$seen
[ "$(json_field .typed)" = "def main(argv):" ] || fail "typing: $seen"
[ "$(json_field .out)" = "$want" ] || fail "the page's text differs from the API's: $seen"
[ "$(json_field '.partial | length')" -ge 3 ] || fail "no stream seen: $seen"
json_field .rate | grep -q 'tokens/s' || fail "no tokens/s: $seen"
req POST /v1/score "$(body=$seen json_field '{text: .score_text}')"
bpb=$(printf '%.4f bpb' "$(json_field .val_bpb)")
xz=$(printf '%.4f bpb' "$(json_field .xz_bpb)")
body=$seen
[ "$(json_field .cells[0])" = "$bpb" ] && [ "$(json_field .cells[1])" = "$xz" ] ||
    fail "score panel: $seen (API: $bpb, xz $xz)"
serve_stop
echo "serve_browser: ok ($(body=$seen json_field '.partial | length') partial texts seen)"
