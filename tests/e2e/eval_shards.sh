#!/usr/bin/env bash
# eval_shards.sh: shard mode of `titan eval` against tests/ref/spm_shards.py
# (the sentencepiece library, not Titan's protobuf reader): scored tokens,
# exact bytes, window count and compressor baselines on SentencePiece models
# trained at test time with spm_train on a Debian text; bad inputs refused.
. "$(dirname "$0")/lib/common.sh"
REF=tests/ref/spm_shards.py
command -v spm_train >/dev/null && /usr/bin/python3 -c 'import sentencepiece' 2>/dev/null ||
    skip "spm_train or python3-sentencepiece missing (tools/install-deps.sh --test)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cp /usr/share/common-licenses/GPL-3 "$T/text.txt" || fail "no Debian text"
printf '\n\nZürich café naïve 日本語 “quoted” \x01 tab\there\n\nfoo bar foo  two spaces\n' >>"$T/text.txt"
for fb in true false; do # byte fallback, then <unk> for rare characters
    mkdir "$T/$fb"
    spm_train --input="$T/text.txt" --model_prefix="$T/$fb/m" --vocab_size=400 \
        --model_type=bpe --byte_fallback=$fb --character_coverage=0.98 \
        --user_defined_symbols=foo --minloglevel=2 >/dev/null 2>&1 || fail "spm_train"
    /usr/bin/python3 $REF write "$T/$fb/m.model" "$T/text.txt" "$T/$fb" 3 || fail "write shards"
    for run in "128 32" "64 64 1000" "1024 64" "5 1 50" "7 3 1"; do
        set -- $run
        max=${3:+--max-tokens $3}
        want=$(REF_BYTES="$T/bytes" /usr/bin/python3 $REF ref "$T/$fb/m.model" "$T/$fb/val_*.bin" $1 $2 ${3:-})
        got=$("$TITAN" eval --count --json --baselines --shards "$T/$fb/val_*.bin" \
            --spm "$T/$fb/m.model" --ctx $1 --stride $2 $max) || fail "eval $run"
        brotli_bytes=$(brotli -q 11 -w 24 -c "$T/bytes" | wc -c)
        /usr/bin/python3 - "$want" "$got" "$brotli_bytes" <<'PY' || fail "fallback=$fb ctx/stride/max $run"
import json, sys
want, got, brotli = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
for k in ("tokens", "bytes", "windows"):
    assert want[k] == got[k], (k, want[k], got[k])
n = want["bytes"]
if n == 0:
    assert got["xz_bpb"] is None and got["brotli_bpb"] is None, got
    sys.exit(0)
# liblzma's one-call encoder records sizes in the block header: a few bytes more.
assert abs(got["xz_bpb"] * n / 8 - want["xz_bytes"]) <= 16, (got, want)
assert abs(got["brotli_bpb"] * n / 8 - brotli) < 0.01, (got, brotli)
PY
    done
done
# Conditional baselines: a text conditioned on itself costs almost nothing.
"$TITAN" eval --count --json --baselines --train "$T/bytes" --shards "$T/true/val_*.bin" \
    --spm "$T/true/m.model" --max-tokens 1 >/dev/null || fail "conditional baseline"
S="$T/true"
"$TITAN" eval --count --json --baselines --train "$T/text.txt" --shards "$S/val_*.bin" \
    --spm "$S/m.model" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["xz_cond_bpb"] < 0.2 * r["xz_bpb"] and r["brotli_cond_bpb"] < 0.2 * r["brotli_bpb"], r' ||
    fail "conditional on the same text should be nearly free"
# Refusals: usage errors exit 2, bad data exits 1 with a message.
expect() { # CODE ARGS...: exit code and a message on stderr (in $stderr)
    local code=$1
    shift
    exits "$code" "$TITAN" eval --count "$@" || fail "eval --count $*"
    [ -n "$stderr" ] || fail "no message: $*"
}
expect 2 --shards "$S/val_*.bin" --spm "$S/m.model" --ctx 8 --stride 9
expect 2 --shards "$S/val_*.bin" --spm "$S/m.model" --stride 0
expect 2 --shards "$S/val_*.bin"
expect 2 --spm "$S/m.model" --text "$T/text.txt"
expect 1 --shards "$T/none_*.bin" --spm "$S/m.model"
head -c 1000 "$S/m.model" >"$T/cut.model"
expect 1 --shards "$S/val_*.bin" --spm "$T/cut.model"
cp "$S/val_000001.bin" "$T/bad.bin"; printf 'x' >>"$T/bad.bin"
expect 1 --shards "$T/bad.bin" --spm "$S/m.model"
cp "$S/val_000001.bin" "$T/bad.bin"; printf '\x01' | dd of="$T/bad.bin" conv=notrunc 2>/dev/null
expect 1 --shards "$T/bad.bin" --spm "$S/m.model"
cp "$S/val_000001.bin" "$T/bad.bin"; printf '\xff\xff' | dd of="$T/bad.bin" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect 1 --shards "$T/bad.bin" --spm "$S/m.model" # token 65535 >= 400 pieces
grep -q "65535" <<<"$stderr" || fail "names the bad token"
echo "eval shards ok"
