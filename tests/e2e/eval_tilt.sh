#!/usr/bin/env bash
# eval_tilt.sh: the n-gram logit tilt end to end. A table built by
# `titan-train ngram`, packed with `titan pack --ngram`, shown by inspect;
# on an all-zero model (uniform p = 1/V) `titan eval --tilt B` gives exactly
# the tilted NLL computed here from the tokens and an independent reading of
# the table, in text and shard mode; --tilt 0 gives the plain val_bpb to the
# bit; --ngram FILE equals the packed table; with --ttt --ttt-lr 0 the TTT
# tilted figure is the plain tilted one and --adapt mixes the tilted model;
# a table for another vocabulary, a hostile table inside a resealed artifact
# and misused flags are refused.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
command -v spm_train >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null ||
    skip "spm_train or python3-numpy missing (tools/install-deps.sh --test)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
code_corpus 300 >"$T/train.txt"
code_corpus 330 | tail -n 30 >"$T/val.txt"
"$TITAN_TRAIN" tokenizer --vocab 300 -i "$T/train.txt" -o "$T/bpe.tok" >/dev/null || fail "tokenizer"
/usr/bin/python3 tests/ref/eval_ref.py model "$T/z" 400 7 zero || fail "zero model"
"$TITAN_TRAIN" ngram -i "$T/train.txt" --tokenizer "$T/bpe.tok" --vocab 400 -o "$T/t.ngram" \
    >/dev/null || fail "ngram"
pack() { "$TITAN" pack --safetensors "$T/z.safetensors" --config "$T/z.json" \
    --tokenizer "$T/bpe.tok" --quant f32 "$@" >/dev/null; }
pack -o "$T/z.tart" || fail "pack"
pack -o "$T/zn.tart" --ngram "$T/t.ngram" --codec brotli || fail "pack --ngram"
pack -o "$T/raw.tart" --ngram "$T/t.ngram" || fail "pack --ngram, codec none"
"$TITAN" inspect "$T/zn.tart" | grep -q '^ngram .* bigram .* trigram hints' || fail "inspect"
"$TITAN" inspect "$T/zn.tart" --json | /usr/bin/python3 -c '
import json, sys
g = json.load(sys.stdin)["ngram"]
assert g["bigram"] > 0 and g["trigram"] > 0 and 0 < g["stored_bytes"] < g["raw_bytes"], g' ||
    fail "inspect --json ngram"
"$TITAN" inspect "$T/z.tart" --json | grep -q '"ngram":null' || fail "no table: null"
num() { grep -o "\"$1\": [-0-9.e+]*" | awk '{ print $2 }'; }
ev() { "$TITAN" eval --ctx 16 --stride 8 --json "$@"; }

# want SEQFILE BETA: the tilted NLL over SEQFILE's targets (its first id is
# context only) for p = 1/400, hints read from t.ngram here.
want() {
    /usr/bin/python3 - "$T/t.ngram" "$1" "$2" <<'PY'
import math, struct, sys
blob = open(sys.argv[1], "rb").read()
magic, vocab, width, _, nb, nt = struct.unpack_from("<4s5I", blob)
assert magic == b"NGRM" and width == 2
ids = struct.unpack_from("<%dH" % (2 * nb + 3 * nt), blob, 24)
bi = dict(zip(ids[:nb], ids[nb:2 * nb]))
ta, tb, th = ids[2 * nb:2 * nb + nt], ids[2 * nb + nt:2 * nb + 2 * nt], ids[2 * nb + 2 * nt:]
tri = {(a, b): h for a, b, h in zip(ta, tb, th)}
seq = [int(x) for x in open(sys.argv[2]).read().split()]
beta, V = float(sys.argv[3]), 400
z = V - 1 + math.exp(beta)
nll = hits = 0
for k in range(len(seq) - 1):
    h = tri.get((seq[k - 1], seq[k])) if k else None
    if h is None: h = bi.get(seq[k])
    if h is None: nll += math.log(V)
    elif h == seq[k + 1]: nll += -math.log(math.exp(beta) / z); hits += 1
    else: nll += -math.log(1 / z)
print(repr(nll), hits)
PY
}
close() { awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 1e-9 * w) }'; }

# Text mode: BOS, then the file's ids.
{ echo 256; "$TITAN" tokenize -m "$T/zn.tart" -f "$T/val.txt"; } >"$T/val.ids"
plain=$(ev -m "$T/z.tart" --text "$T/val.txt")
zero=$(ev -m "$T/zn.tart" --text "$T/val.txt" --tilt 0)
[ "$(num tilt_val_bpb <<<"$zero")" = "$(num val_bpb <<<"$plain")" ] &&
    [ "$(num val_bpb <<<"$zero")" = "$(num val_bpb <<<"$plain")" ] ||
    fail "--tilt 0 is not the plain val_bpb exactly"
j=$(ev -m "$T/zn.tart" --text "$T/val.txt" --tilt 1.3)
read -r w hits < <(want "$T/val.ids" 1.3)
[ "$hits" -gt 10 ] || fail "only $hits hints right: the test would prove little"
[ "$(num tilt_hits <<<"$j")" = "$hits" ] || fail "hits $(num tilt_hits <<<"$j"), want $hits"
close "$(num tilt_nll <<<"$j")" "$w" || fail "text: tilt_nll $(num tilt_nll <<<"$j"), want $w"
f=$(ev -m "$T/z.tart" --text "$T/val.txt" --tilt 1.3 --ngram "$T/t.ngram")
[ "$(num tilt_val_bpb <<<"$f")" = "$(num tilt_val_bpb <<<"$j")" ] || fail "--ngram FILE differs"
neg=$(ev -m "$T/zn.tart" --text "$T/val.txt" --tilt -2)
read -r wn _ < <(want "$T/val.ids" -2)
close "$(num tilt_nll <<<"$neg")" "$wn" || fail "negative beta"
"$TITAN" eval -m "$T/zn.tart" --text "$T/val.txt" --ctx 16 --stride 8 --tilt 1.3 | grep -q '^tilt val_bpb ' ||
    fail "no tilt line in the text output"

# With --ttt at lr 0 and with --adapt.
t=$(ev -m "$T/zn.tart" --text "$T/val.txt" --tilt 1.3 --ttt --ttt-chunk 64 --ttt-lr 0)
[ "$(num ttt_tilt_val_bpb <<<"$t")" = "$(num tilt_val_bpb <<<"$j")" ] || fail "--ttt --tilt"
a0=$(ev -m "$T/zn.tart" --text "$T/val.txt" --adapt | num adapt_val_bpb)
a1=$(ev -m "$T/zn.tart" --text "$T/val.txt" --adapt --tilt 0 | num adapt_val_bpb)
a2=$(ev -m "$T/zn.tart" --text "$T/val.txt" --adapt --tilt 1.3 | num adapt_val_bpb)
[ "$a0" = "$a1" ] && [ "$a1" != "$a2" ] || fail "--adapt over the tilted model: $a0 $a1 $a2"

# Shard mode: the first token is context only.
spm_train --input="$T/train.txt" --model_prefix="$T/m" --vocab_size=400 --model_type=bpe \
    --byte_fallback=true --minloglevel=2 >/dev/null 2>&1 || fail "spm_train"
"$TITAN" tokenize -m "$T/z.tart" -f "$T/train.txt" >/dev/null || fail "tokenize"
/usr/bin/python3 - "$T" <<'PY' || fail "shards"
import random, struct, sys
random.seed(5)
ids = [random.choice([5, 6, 7, 8, 9, 10]) for _ in range(300)]
for name, part in (("train", ids * 3), ("val", ids[:150])):
    with open(f"{sys.argv[1]}/{name}_000000.bin", "wb") as f:
        f.write(struct.pack("<256i", 20240520, 1, len(part), *([0] * 253)))
        f.write(struct.pack("<%dH" % len(part), *part))
    if name == "val": open(f"{sys.argv[1]}/val.ids", "w").write(" ".join(map(str, part)))
PY
set -f
"$TITAN_TRAIN" ngram --shards "$T/train_*.bin" --vocab 400 -o "$T/t.ngram" >/dev/null ||
    fail "ngram --shards"
s0=$(ev -m "$T/z.tart" --shards "$T/val_*.bin" --spm "$T/m.model" --tilt 0 --ngram "$T/t.ngram")
[ "$(num tilt_val_bpb <<<"$s0")" = "$(num val_bpb <<<"$s0")" ] || fail "shards: --tilt 0"
s1=$(ev -m "$T/z.tart" --shards "$T/val_*.bin" --spm "$T/m.model" --tilt 0.7 --ngram "$T/t.ngram")
read -r ws _ < <(want "$T/val.ids" 0.7)
close "$(num tilt_nll <<<"$s1")" "$ws" || fail "shards: tilt_nll $(num tilt_nll <<<"$s1"), want $ws"
set +f

# Refusals.
exits 2 ev -m "$T/z.tart" --text "$T/val.txt" --tilt 1 || fail "--tilt without a table"
exits 2 ev -m "$T/zn.tart" --text "$T/val.txt" --ngram "$T/t.ngram" || fail "--ngram alone"
exits 2 ev -m "$T/zn.tart" --text "$T/val.txt" --tilt 31 || fail "--tilt 31"
exits 2 ev -m "$T/zn.tart" --text "$T/val.txt" --tilt 1 --count || fail "--tilt --count"
"$TITAN_TRAIN" ngram -i "$T/train.txt" --tokenizer "$T/bpe.tok" -o "$T/v300.ngram" >/dev/null ||
    fail "ngram, the tokenizer's vocabulary"
exits 1 ev -m "$T/z.tart" --text "$T/val.txt" --tilt 1 --ngram "$T/v300.ngram" ||
    fail "a table for vocab 300 on a 400-token model"
! pack -o "$T/bad.tart" --ngram "$T/v300.ngram" 2>"$T/err" && grep -q ngram "$T/err" ||
    fail "pack --ngram of another vocabulary"
[ ! -e "$T/bad.tart" ] || fail "pack wrote a file with a bad table"
# A hostile writer: a bigram key past the vocabulary, every checksum made right.
/usr/bin/python3 - "$T/raw.tart" "$T/hostile.tart" <<'PY' || fail "reseal"
import struct, sys, zlib
f = bytearray(open(sys.argv[1], "rb").read())
assert struct.unpack_from("<I", f, 12)[0] == 5
e = 32 + 4 * 40
off, stored = struct.unpack_from("<QQ", f, e + 8)
struct.pack_into("<H", f, off + 24 + 2, 999)  # the second bigram key
crc = zlib.crc32(f[off:off + stored])
struct.pack_into("<II", f, e + 32, crc, crc)
struct.pack_into("<I", f, 232, zlib.crc32(f[:232]))
open(sys.argv[2], "wb").write(f)
PY
exits 1 "$TITAN" inspect "$T/hostile.tart" || fail "hostile table loaded"
msg=$("$TITAN" inspect "$T/hostile.tart" 2>&1) || true
grep -q 'ngram section: ngram: bigram entry 1 (999' <<<"$msg" ||
    fail "no clear message for the hostile table: $msg"
exits 0 "$TITAN" inspect "$T/raw.tart" || fail "the untouched table"
echo "eval --tilt ok: text tilt_nll $(num tilt_nll <<<"$j") ($hits hints right), shards $ws"
