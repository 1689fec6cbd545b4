#!/usr/bin/env bash
# progress.sh: long operations show progress with a rate and an ETA on a
# terminal (script(1) gives them one), ending at done == total; off a
# terminal stderr holds no progress line. Eval, tokenizer training (counting,
# then merging), quantizing, GPTQ and encoding in pack.
. "$(dirname "$0")/lib/common.sh"
command -v script >/dev/null || skip "script (util-linux) not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=tools/data/model/nano.tart
cat core/*.c >"$T/all.txt" # a final progress line needs no long run: 40 kB
head -c 40000 "$T/all.txt" >"$T/text.txt"
bytes=$(stat -c %s "$T/text.txt")

# on_tty CMD: run CMD (a string, stdout dropped) on a pseudo-terminal; its
# screen, carriage returns as newlines, in $T/tty
on_tty() { script -qec "$1 >/dev/null" /dev/null | tr '\r' '\n' >"$T/tty"; }
# shows LABEL UNIT: a progress line of LABEL that reached its total, with a
# rate in UNIT/s and an ETA
shows() {
    grep -qE "^$1: ([0-9.]+)/\1 $2 +[0-9.]+ $2/s +ETA [0-9]{2}:[0-9]{2}" "$T/tty" ||
        fail "no finished '$1' progress in: $(grep -v '^$' "$T/tty" | tail -5)"
}

on_tty "$TITAN eval -m $M --text $T/text.txt --ctx 128 --stride 64"
shows eval tok
on_tty "$TITAN_TRAIN tokenizer --vocab 400 -i $T/text.txt -o $T/tok"
shows "counting chunks" bytes
grep -q "^counting chunks: $bytes/$bytes bytes" "$T/tty" || fail "counting did not reach $bytes"
shows merging merges
"$TITAN" export "$M" --safetensors "$T/w.st" >/dev/null
on_tty "$TITAN pack --safetensors $T/w.st --config $T/w.config.json --tokenizer $T/w.tok --quant int8 --codec brotli -o $T/m.tart"
shows quantizing "M weights"
shows encoding MB
on_tty "$TITAN pack --safetensors $T/w.st --config $T/w.config.json --tokenizer $T/w.tok --quant int6 --method gptq --calib $T/text.txt --calib-tokens 2000 -o $T/g.tart"
shows "gptq calibration" tokens
shows gptq "M weights"

# Not a terminal: no progress on stderr.
"$TITAN" eval -m "$M" --text "$T/text.txt" --ctx 128 --stride 64 >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] || fail "eval off a terminal wrote to stderr: $(head -c 300 "$T/err")"
"$TITAN_TRAIN" tokenizer --vocab 400 -i "$T/text.txt" -o "$T/tok" >/dev/null 2>"$T/err"
[ ! -s "$T/err" ] || fail "tokenizer off a terminal wrote to stderr: $(head -c 300 "$T/err")"
echo "progress ok"
