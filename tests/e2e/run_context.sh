#!/usr/bin/env bash
# run_context.sh: titan run at the edges of the context, and what it shows.
#  - A prompt longer than max_seq_len is cut from the left with a note (not
#    refused); --json has prompt_cut and the kept prompt_tokens.
#  - Generating past max_seq_len shifts the context (said on stderr, counted
#    in context_shifts); with --no-shift it stops, stop_reason "context".
#  - stop_reason "length" when -n is reached; the reason is said off --json.
#  - The prompt is echoed on a terminal, not when stdout is a pipe or file.
. "$(dirname "$0")/lib/common.sh"
command -v script >/dev/null || skip "script (util-linux) not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=tools/data/model/nano.tart
PY=/usr/bin/python3
# field NAME < JSON: one field of titan run --json
field() { $PY -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

head -c 3000 tools/data/model/val_excerpt.txt >"$T/long.txt"
"$TITAN" run -m $M -f "$T/long.txt" -n 20 --greedy --json >"$T/a.json" 2>"$T/a.err"
grep -q "do not fit max_seq_len 256 with room to generate: kept its last 233 (cut from the left)" \
    "$T/a.err" || fail "long prompt note: $(cat "$T/a.err")"
[ "$(field prompt_tokens <"$T/a.json")" = 234 ] || fail "prompt_tokens (BOS + 233)"
all=$(sed -n "s/.*the prompt's \([0-9]*\) tokens do not fit.*/\1/p" "$T/a.err")
[ "$(field prompt_cut <"$T/a.json")" = $((all - 233)) ] || fail "prompt_cut, of $all"
[ "$(field stop_reason <"$T/a.json")" = length ] || fail "stop_reason length"

"$TITAN" run -m $M -p "int main" -n 400 --greedy --json >"$T/b.json"
[ "$(field tokens <"$T/b.json")" = 400 ] || fail "a shifted run makes all -n tokens"
[ "$(field context_shifts <"$T/b.json")" -ge 1 ] || fail "no context shift counted"
"$TITAN" run -m $M -p "int main" -n 400 --greedy >/dev/null 2>"$T/b.err"
grep -q "^stopped: -n tokens generated; the context shifted [0-9]* times (max_seq_len 256)$" \
    "$T/b.err" || fail "shift not said: $(cat "$T/b.err")"

"$TITAN" run -m $M -p "int main" -n 400 --greedy --no-shift --json >"$T/c.json"
[ "$(field stop_reason <"$T/c.json")" = context ] || fail "--no-shift: stop_reason"
tokens=$(field tokens <"$T/c.json")
[ "$tokens" -lt 256 ] && [ "$tokens" -gt 200 ] || fail "--no-shift made $tokens tokens"
"$TITAN" run -m $M -p "int main" -n 400 --greedy --no-shift >/dev/null 2>"$T/c.err"
grep -q "^stopped: the context is full (max_seq_len 256; without --no-shift the context shifts)" \
    "$T/c.err" || fail "context stop not said: $(cat "$T/c.err")"

# The prompt echoed on a terminal only; the same greedy text after it.
script -qec "$TITAN run -m $M -p 'int main' -n 8 --greedy 2>/dev/null" /dev/null |
    tr -d '\r' >"$T/tty"
"$TITAN" run -m $M -p 'int main' -n 8 --greedy >"$T/pipe" 2>/dev/null
[ "$(head -c 8 "$T/tty")" = "int main" ] || fail "no echo on a terminal: $(cat "$T/tty")"
[ "$(head -c 8 "$T/pipe")" != "int main" ] || fail "echo into a file"
[ "$(tr -d '\n' <"$T/tty")" = "int main$(tr -d '\n' <"$T/pipe")" ] ||
    fail "terminal '$(cat "$T/tty")' is not prompt + '$(cat "$T/pipe")'"
echo "run context ok"
