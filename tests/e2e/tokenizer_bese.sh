#!/usr/bin/env bash
# tokenizer_bese.sh: titan-train tokenizer --kind bese: deterministic file
# bytes, file and ids equal to tests/ref/bese_ref.py's, round trips (prose, code, hostile bytes, empty)
# at 40 and 288 tokens, titan inspect names the kind, and a model trained and
# packed with it: titan eval --text counts exactly the file's bytes (and
# --shards of tokenize --lines documents, without --spm, theirs), run and
# detokenize -m work; bad --kind/--vocab exit 2, a damaged file exits 1.
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
py=/usr/bin/python3
$py - "$dir" <<'PY'
import random, sys
d = sys.argv[1]
r = random.Random(3)
words = "the of and a to in is you that it he was for on are as with his they at".split()
prose = ' '.join(r.choice(words) + r.choice(['', ',', '.', '!\n', ' Caf\u00e9']) for _ in range(4000))
open(d + '/prose.txt', 'w').write(prose + '\n')
open(d + '/code.txt', 'w').write(''.join('\tif (X%d == %d) return Y[%d];\n' % (i, 7 * i, i) for i in range(500)))
junk = bytearray(range(256)) + b'\0' * 700 + b'\xff\xfe\xc3' * 50 + b'ab' * 400
junk += bytes(r.randrange(256) for _ in range(3000))
open(d + '/junk.bin', 'wb').write(bytes(junk))
PY
: > "$dir/empty.txt"
cat "$dir/prose.txt" "$dir/code.txt" "$dir/junk.bin" > "$dir/all.bin"

for v in 40 288; do
    "$TITAN_TRAIN" tokenizer --kind bese --vocab $v -i "$dir/all.bin" -o "$dir/a$v.tok" ||
        fail "train $v"
    "$TITAN_TRAIN" tokenizer --kind bese --vocab $v -i "$dir/all.bin" -o "$dir/b$v.tok" ||
        fail "train $v again"
    cmp -s "$dir/a$v.tok" "$dir/b$v.tok" || fail "training $v is not deterministic"
    [ "$(head -c 4 "$dir/a$v.tok")" = TBSE ] || fail "magic"
    [ "$(wc -c < "$dir/a$v.tok")" = $((52 + 8 * (v - 40))) ] || fail "size of a$v.tok"
    for f in prose.txt code.txt junk.bin empty.txt; do
        "$TITAN" tokenize --tokenizer "$dir/a$v.tok" -f "$dir/$f" > "$dir/ids" ||
            fail "tokenize $f"
        "$TITAN" detokenize --tokenizer "$dir/a$v.tok" -f "$dir/ids" > "$dir/back" ||
            fail "detokenize $f"
        cmp -s "$dir/back" "$dir/$f" || fail "round trip of $f at $v"
    done
done
# The independent reference (tests/ref/bese_ref.py) writes the same file and
# the same ids, and reads the ids back to the same bytes.
ref=tests/ref/bese_ref.py
"$TITAN_TRAIN" tokenizer --kind bese --vocab 120 -i "$dir/all.bin" -o "$dir/c.tok" >/dev/null
$py $ref train 120 "$dir/all.bin" "$dir/ref.tok" || fail "reference training"
cmp -s "$dir/c.tok" "$dir/ref.tok" || fail "BESE file differs from the reference"
for f in prose.txt junk.bin; do
    "$TITAN" tokenize --tokenizer "$dir/a288.tok" -f "$dir/$f" > "$dir/ids"
    $py $ref encode "$dir/a288.tok" "$dir/$f" > "$dir/ref.ids" || fail "ref encode $f"
    cmp -s "$dir/ids" "$dir/ref.ids" || fail "ids of $f differ from the reference"
    $py $ref decode "$dir/a288.tok" "$dir/ids" "$dir/back" || fail "ref decode $f"
    cmp -s "$dir/back" "$dir/$f" || fail "the reference decodes $f differently"
done
# The merges compress: fewer ids than base symbols, fewer than bytes on prose.
n40=$("$TITAN" tokenize --tokenizer "$dir/a40.tok" -f "$dir/prose.txt" | wc -w)
n288=$("$TITAN" tokenize --tokenizer "$dir/a288.tok" -f "$dir/prose.txt" | wc -w)
bytes=$(wc -c < "$dir/prose.txt")
[ "$n288" -lt "$n40" ] && [ "$n288" -lt "$bytes" ] || fail "ids: $n40 base, $n288 at 288"

# A tiny model trained and packed with it; eval's bytes are the file's size.
cat > "$dir/cfg.json" <<'JSON'
{"vocab_size": 288, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 8, "kv_latent": 8, "mlp_hidden": 32,
 "conv_kernel": 3, "n_unique_blocks": 1, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5}
JSON
head -c 3000 "$dir/prose.txt" > "$dir/val.txt"
"$TITAN_TRAIN" train --config "$dir/cfg.json" --tokenizer "$dir/a288.tok" \
    --train "$dir/all.bin" --val "$dir/val.txt" --steps 4 --batch 2 --seq 32 \
    --threads 1 -o "$dir/m.ckpt" > "$dir/train.log" 2>&1 || fail "train: $(tail -3 "$dir/train.log")"
$py - "$dir/all.bin.tok" <<'PY' || fail "the training stream does not start with BESE's BOS"
import struct, sys
assert struct.unpack_from("<I", open(sys.argv[1], "rb").read(), 32)[0] == 39
PY
"$TITAN" pack --ckpt "$dir/m.ckpt" --quant f32 --codec none -o "$dir/m.tart" > /dev/null ||
    fail "pack"
has 'BESE' "$TITAN" inspect "$dir/m.tart" || fail "inspect does not name BESE"
has '"tokenizer_kind": *"bese"' "$TITAN" inspect "$dir/m.tart" --json || fail "inspect --json"
for f in prose.txt junk.bin; do
    "$TITAN" eval -m "$dir/m.tart" --text "$dir/$f" --ctx 32 --stride 16 --json > "$dir/ev" ||
        fail "eval $f"
    $py - "$dir/ev" "$(wc -c < "$dir/$f")" <<'PY' || fail "eval bytes of $f"
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["bytes"] == int(sys.argv[2]), (r["bytes"], sys.argv[2])
assert math.isfinite(r["val_bpb"]) and r["val_bpb"] > 0, r
PY
done
# Shards of BESE documents (tokenize --lines: a line of ids per line of
# text), scored without --spm: the artifact's tokenizer counts the bytes, the
# lines' bytes exactly; --baselines rebuilds those bytes.
head -n 40 "$dir/prose.txt" > "$dir/docs.txt"
"$TITAN" tokenize --tokenizer "$dir/a288.tok" -f "$dir/docs.txt" --lines > "$dir/doc.ids" ||
    fail "tokenize --lines"
[ "$(wc -l < "$dir/doc.ids")" = "$(wc -l < "$dir/docs.txt")" ] || fail "a line of ids per line"
sed -n 7p "$dir/doc.ids" | "$TITAN" detokenize --tokenizer "$dir/a288.tok" > "$dir/line7"
cmp -s "$dir/line7" <(sed -n 7p "$dir/docs.txt" | tr -d '\n') || fail "line 7's ids"
"$TITAN_TRAIN" shards --ids "$dir/doc.ids" --vocab 288 --bos 39 -o "$dir/doc" > /dev/null ||
    fail "BESE shards"
"$TITAN" eval -m "$dir/m.tart" --shards "$dir/doc_*.bin" --ctx 32 --stride 16 --json \
    --baselines > "$dir/ev" || fail "eval BESE shards without --spm"
$py - "$dir/ev" "$(grep -v '^$' "$dir/docs.txt" | tr -d '\n' | wc -c)" <<'PY' || fail "BESE shard bytes"
import json, math, sys
r = json.load(open(sys.argv[1]))
assert r["bytes"] == int(sys.argv[2]), (r["bytes"], sys.argv[2])
assert math.isfinite(r["val_bpb"]) and r["val_bpb"] > 0, r
PY
"$TITAN" tokenize -m "$dir/m.tart" -f "$dir/junk.bin" > "$dir/ids" || fail "tokenize -m"
"$TITAN" detokenize -m "$dir/m.tart" -f "$dir/ids" | cmp -s - "$dir/junk.bin" ||
    fail "detokenize -m"
"$TITAN" run -m "$dir/m.tart" -p 'the' -n 8 --seed 1 > /dev/null 2>&1 || fail "run"

# Usage errors exit 2; a damaged file exits 1 with a message.
exits 2 "$TITAN_TRAIN" tokenizer --kind bse --vocab 288 -i "$dir/all.bin" -o "$dir/x.tok" ||
    fail "bad --kind"
exits 2 "$TITAN_TRAIN" tokenizer --kind bese --vocab 39 -i "$dir/all.bin" -o "$dir/x.tok" ||
    fail "vocab 39"
exits 2 "$TITAN_TRAIN" tokenizer --vocab 200 -i "$dir/all.bin" -o "$dir/x.tok" ||
    fail "bpe vocab 200"
cp "$dir/a288.tok" "$dir/bad.tok"
printf 'Z' | dd of="$dir/bad.tok" bs=1 seek=60 conv=notrunc 2>/dev/null
exits 1 "$TITAN" tokenize --tokenizer "$dir/bad.tok" -f "$dir/prose.txt" || fail "damaged"
grep -q checksum <<<"$stderr" || fail "no clear message: $stderr"
echo "tokenizer_bese: ok"
