#!/usr/bin/env bash
# serve_api.sh: titan serve's endpoints over plain HTTP (curl), against the
# shipped model: health, models, the page, a greedy completion equal to
# `titan run --greedy`, its stream (server-sent events) adding up to the same
# text, chat, a stop string, /v1/score equal to `titan eval --text
# --baselines`, and JSON errors with their status codes. Then a small xenith
# model (SPEC section 9): greedy text equal to `titan run --greedy`, a request
# past --max-gen ended there, its stream, and /v1/score equal to `titan eval --text`.
source "$(dirname "$0")/lib/common.sh"
source tests/e2e/lib/serve.sh
command -v curl >/dev/null || fail "curl is missing (tools/install-deps.sh --test)"
model=tools/data/model/nano.tart
tmp=$(mktemp -d)
trap '[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
serve_start "$tmp/log" -m "$model" --threads 1 --parallel 2

req GET /health
[ "$code" = 200 ] && [ "$(json_field '"\(.status) \(.slots)"')" = "ok 2" ] ||
    fail "health: $code $body"
req GET /v1/models
[ "$code" = 200 ] && [ "$(json_field '.data[0].id')" = nano.tart ] ||
    fail "models: $code $body"
req GET /
[ "$code" = 200 ] && grep -q '<title>titan serve</title>' <<<"$body" || fail "page: $code"

# Greedy: the same text as titan run (which ends its output with a newline).
prompt='def main(argv):'
"$TITAN" run -m "$model" -p "$prompt" -n 24 --greedy --threads 1 >"$tmp/run.txt" 2>/dev/null
req POST /v1/completions "{\"prompt\": \"$prompt\", \"max_tokens\": 24, \"temperature\": 0}"
[ "$code" = 200 ] || fail "completion: $code $body"
json_field '.choices[0].text' >"$tmp/serve.txt"
cmp "$tmp/run.txt" "$tmp/serve.txt" || fail "greedy text differs from titan run"
[ "$(json_field '"\(.usage.completion_tokens) \(.choices[0].finish_reason)"')" = \
    "24 length" ] || fail "usage: $body"

# The stream's chunks add up to the same text, then [DONE].
curl -sS -N "$url/v1/completions" -d "{\"prompt\": \"$prompt\", \"max_tokens\": 24, \
    \"temperature\": 0, \"stream\": true}" >"$tmp/sse.txt"
tail -n 2 "$tmp/sse.txt" | grep -qx 'data: \[DONE\]' || fail "stream: no [DONE]"
/usr/bin/python3 - "$tmp/sse.txt" "$tmp/serve.txt" <<'PY'
import json, sys
events = [l[6:] for l in open(sys.argv[1]).read().split("\n\n") if l.startswith("data: ")]
assert events[-1] == "[DONE]", events[-1]
chunks = [json.loads(e) for e in events[:-1]]
text = "".join(c["choices"][0]["text"] for c in chunks)
want = open(sys.argv[2]).read()[:-1]  # print() added a newline
assert len(chunks) > 2 and text == want, (len(chunks), text, want)
assert chunks[-1]["choices"][0]["finish_reason"] == "length"
assert chunks[-1]["usage"]["completion_tokens"] == 24
PY

# A stop string ends the text before it.
req POST /v1/completions "{\"prompt\": \"$prompt\", \"max_tokens\": 24, \"temperature\": 0, \"stop\": [\"return\"]}"
[ "$(json_field '.choices[0].finish_reason')" = stop ] || fail "stop: $body"
json_field '.choices[0].text' >"$tmp/stop.txt"
[ "$(cat "$tmp/stop.txt")" = "$(sed -n '1,/return/p' "$tmp/run.txt" | sed '$s/return.*//')" ] &&
    ! grep -q return "$tmp/stop.txt" || fail "stop text: $body"

# Chat, sampled with a seed: the same seed gives the same text.
chat='{"messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 12, "seed": 7, "temperature": 0.9}'
req POST /v1/chat/completions "$chat"
[ "$code" = 200 ] && [ "$(json_field '"\(.object) \(.choices[0].message.role)"')" = \
    "chat.completion assistant" ] || fail "chat: $code $body"
first=$(json_field '.choices[0].message.content')
req POST /v1/chat/completions "$chat"
[ "$(json_field '.choices[0].message.content')" = "$first" ] || fail "seed"

# /v1/score: titan eval --text --baselines's numbers.
printf 'def main(argv):\n    return len(argv)  # \xc3\xa9t\xc3\xa9\n' >"$tmp/t.txt"
"$TITAN" eval -m "$model" --text "$tmp/t.txt" --baselines --json --threads 1 >"$tmp/eval.json"
req POST /v1/score "$(jq -Rs '{text: .}' "$tmp/t.txt")"
[ "$code" = 200 ] || fail "score: $code $body"
/usr/bin/python3 - "$tmp/eval.json" <<PY || fail "score differs from titan eval: $body"
import json, sys
e, s = json.load(open(sys.argv[1])), json.loads('''$body''')
for k in ("val_bpb", "val_loss", "nll", "xz_bpb", "brotli_bpb", "tokens", "bytes", "ctx", "stride", "windows"):
    assert s[k] == e[k], (k, s[k], e[k])
PY

# Errors: JSON with the status code.
req GET /nope
[ "$code" = 404 ] && [ "$(json_field .error.code)" = 404 ] || fail "404: $code"
req GET /v1/completions
[ "$code" = 405 ] || fail "405: $code"
req POST /v1/completions '{"prompt": 3}'
[ "$code" = 400 ] && json_field .error.message | grep -q prompt || fail "400: $body"
req POST /v1/score '{"text": ""}'
[ "$code" = 400 ] || fail "empty score text: $code"
serve_stop

# A xenith model (skips here without PyTorch, which writes its weights).
source tests/e2e/lib/xenith_small.sh
xenith_small "$tmp"
serve_start "$tmp/xlog" -m "$tmp/x.tart" --threads 1 --parallel 2 --max-body 4096 --max-gen 40
# Random weights give bytes that are not UTF-8: compare run --json's text.
"$TITAN" run -m "$tmp/x.tart" -p "$prompt" -n 40 --greedy --threads 1 --json |
    jq -r .text >"$tmp/xrun.txt"
req POST /v1/completions "{\"prompt\": \"$prompt\", \"max_tokens\": 40, \"temperature\": 0}"
[ "$code" = 200 ] || fail "xenith completion: $code $body"
json_field '.choices[0].text' >"$tmp/xserve.txt"
cmp "$tmp/xrun.txt" "$tmp/xserve.txt" || fail "xenith greedy text differs from titan run"
[ "$(json_field .usage.prompt_tokens)" = 16 ] || fail "xenith usage: $body"
req POST /v1/completions "{\"prompt\": \"$prompt\", \"max_tokens\": 60, \"temperature\": 0}"
[ "$code" = 200 ] && [ "$(json_field '.choices[0].finish_reason')" = length ] &&
    json_field '.choices[0].text' | cmp -s - "$tmp/xserve.txt" ||
    fail "--max-gen 40 did not end a xenith request at 40 tokens: $body"
curl -sS -N "$url/v1/completions" -d "{\"prompt\": \"$prompt\", \"max_tokens\": 40, \
    \"temperature\": 0, \"stream\": true}" >"$tmp/xsse.txt"
/usr/bin/python3 - "$tmp/xsse.txt" "$tmp/xserve.txt" <<'PY'
import json, sys
events = [l[6:] for l in open(sys.argv[1]).read().split("\n\n") if l.startswith("data: ")]
text = "".join(json.loads(e)["choices"][0]["text"] for e in events[:-1])
assert events[-1] == "[DONE]" and text == open(sys.argv[2]).read()[:-1], text
PY
"$TITAN" eval -m "$tmp/x.tart" --text "$tmp/t.txt" --baselines --json --threads 1 \
    >"$tmp/xeval.json"
req POST /v1/score "$(jq -Rs '{text: .}' "$tmp/t.txt")"
[ "$code" = 200 ] || fail "xenith score: $code $body"
/usr/bin/python3 - "$tmp/xeval.json" <<PY || fail "xenith score differs from titan eval: $body"
import json, math, sys
e, s = json.load(open(sys.argv[1])), json.loads('''$body''')
assert math.isfinite(s["val_bpb"]) and s["windows"] == 1, s
for k in ("val_bpb", "val_loss", "nll", "xz_bpb", "brotli_bpb", "tokens", "bytes", "ctx", "stride", "windows"):
    assert s[k] == e[k], (k, s[k], e[k])
PY
serve_stop
echo "serve_api: ok"
