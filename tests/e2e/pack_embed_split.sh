#!/usr/bin/env bash
# pack_embed_split.sh: `titan pack --embed-split N --embed-counts FILE` keeps
# the token rows of the N most frequent ids int8 and rounds the rest to int6's
# range (tests/ref/embed_split_check.py: hot rows exactly int8 RTN, cold rows
# exactly int6 RTN, GPTQ's cold rows on an int6 grid); the split artifact runs
# (logits, eval) and is smaller than all-int8 with a codec; counts from text
# work; bad flags and hostile count files are refused with a message and
# nothing written.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 tests/ref/embed_split_check.py "$TITAN" "$T" || fail "embed split check"
SRC=(--safetensors "$T/w.st" --config "$T/w.json" --tokenizer "$T/w.tok")

# Counts from text (the shipped model's own tokenizer), brotli: smaller than int8.
head -c 20000 tools/data/model/val_excerpt.txt >"$T/counts.txt"
"$TITAN" pack "${SRC[@]}" -o "$T/int8.br.tart" --quant mixed --codec brotli >/dev/null
out=$("$TITAN" pack "${SRC[@]}" -o "$T/text.br.tart" --quant mixed --codec brotli \
    --embed-split 128 --embed-counts "$T/counts.txt")
grep -q "embed split 128)" <<<"$out" || fail "pack says '$out'"
int8=$(stat -c %s "$T/int8.br.tart") split=$(stat -c %s "$T/text.br.tart")
[ "$split" -lt "$int8" ] || fail "split $split bytes, not below int8's $int8"
printf '1 2 3 40 500 7 8 9\n' >"$T/ids.txt"
"$TITAN" logits -m "$T/text.br.tart" --ids "$T/ids.txt" --out "$T/logits.f32" >/dev/null
[ "$(stat -c %s "$T/logits.f32")" = $((8 * 1024 * 4)) ] || fail "logits size"
bpb=$("$TITAN" eval -m "$T/text.br.tart" --text "$T/counts.txt" --ctx 64 --stride 32 \
    --max-tokens 2000 --json | sed -n 's/.*"val_bpb": \([^,]*\),.*/\1/p')
awk -v b="$bpb" 'BEGIN { exit !(b > 0.5 && b < 4) }' || fail "val_bpb '$bpb'"

# refused CODE MESSAGE ARGS...: pack with ARGS exits CODE, says MESSAGE, writes nothing.
refused() {
    local code=$1 msg=$2
    shift 2
    rm -f "$T/bad.tart"
    exits "$code" "$TITAN" pack "${SRC[@]}" -o "$T/bad.tart" "$@" || fail "$msg: exit"
    grep -q -- "$msg" <<<"$stderr" || fail "wanted '$msg', got '$stderr'"
    [ ! -e "$T/bad.tart" ] || fail "$msg: wrote a file"
}
refused 2 "go together" --quant mixed --embed-split 64
refused 2 "go together" --quant mixed --embed-counts "$T/counts.txt"
refused 2 "at most the vocabulary, 1024" --quant mixed --embed-split 1025 \
    --embed-counts "$T/counts.txt"
refused 2 "tok_emb is f32" --embed-split 64 --embed-counts "$T/counts.txt"
refused 2 "tok_emb is f16" --quant mixed --tensor-quant tok_emb=f16 --embed-split 64 \
    --embed-counts "$T/counts.txt"
head -c 3000 "$T/counts.bin" >"$T/trunc.bin"
refused 1 "trunc.bin: shard: 3000 bytes, header says 60000 tokens" --quant mixed \
    --embed-split 64 --embed-counts "$T/trunc.bin"
/usr/bin/python3 -c '
import struct, sys
ids = [5, 1024, 7]
open(sys.argv[1], "wb").write(struct.pack("<3i", 20240520, 1, len(ids)) + bytes(1012)
                              + struct.pack("<3H", *ids))
open(sys.argv[2], "wb").write(struct.pack("<3i", 20240520, 1, 0) + bytes(1012))' \
    "$T/oov.bin" "$T/empty.bin"
refused 1 "oov.bin: token 1024 at 1, vocabulary has 1024" --quant mixed --embed-split 64 \
    --embed-counts "$T/oov.bin"
refused 1 "no tokens" --quant mixed --embed-split 64 --embed-counts "$T/empty.bin"
: >"$T/empty.txt"
refused 1 "no tokens" --quant mixed --embed-split 64 --embed-counts "$T/empty.txt"
refused 1 "no such file" --quant mixed --embed-split 64 --embed-counts "$T/none*.bin"
echo "pack embed split ok"
