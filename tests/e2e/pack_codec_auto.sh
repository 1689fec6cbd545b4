#!/usr/bin/env bash
# pack_codec_auto.sh: titan pack --codec auto on a briefly trained tiny model,
# f32 and mixed. auto's file is never larger than the file of any single codec
# (it keeps the whole data section under one codec when the tensor groups do
# not beat it); every section's and group's choice is the smallest of the
# trials it reports; the grouped file gives the same logits as an uncompressed
# pack, bit for bit, and inspect shows the groups pack chose. The reader refuses a damaged group table with a message
# naming the field (the table edited in a grouped file of the reference
# writer, CRCs made right so the checks behind them are reached).
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
. tests/e2e/lib/tiny_model.sh
code_split "$T"
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 20 --batch 2 --seq 16 || fail "train"

for q in f32 mixed; do
    for c in none lzma xz brotli auto; do
        "$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/${q}_$c.tart" --quant $q --codec $c --json \
            >"$T/${q}_$c.json" || fail "pack $q $c"
    done
done
"$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/human.tart" --quant mixed --codec auto >"$T/human.txt" ||
    fail "pack human"
grep -q '^group  *codec  *shuffle  *raw  *stored$' "$T/human.txt" || fail "no choice table"
grep -q '^mlp  ' "$T/human.txt" || fail "no mlp group in the table"

$PY - "$T" <<'PYEOF' || fail "auto's sizes and choices"
import json, os, sys
T = sys.argv[1]
for q in ("f32", "mixed"):
    got = {c: json.load(open(f"{T}/{q}_{c}.json")) for c in ("none", "lzma", "xz", "brotli", "auto")}
    auto = got["auto"]
    assert auto["bytes"] == os.path.getsize(f"{T}/{q}_auto.tart")
    best = min(got[c]["bytes"] for c in ("none", "lzma", "xz", "brotli"))
    assert auto["bytes"] <= best, (q, auto["bytes"], best)
    names = [ch["group"] for ch in auto["codec_choices"]]
    data = [ch for ch in auto["codec_choices"] if ch["group"] == "data"][0]
    assert q != "f32" or data["codec"] == "auto", data  # floats: the groups win
    assert {"config", "tokenizer", "directory", "data", "mlp", "attention"} <= set(names), names
    for ch in auto["codec_choices"]:
        tried = ch["tried"]
        key = ch["codec"] + ("_shuffled" if ch["shuffle"] > 1 else "")
        if ch["group"] == "data" and ch["codec"] == "auto":  # grouped: the groups' sum
            assert ch["stored_bytes"] < min(tried.values()), ch
            continue
        assert ch["stored_bytes"] == tried[key] == min(tried.values()), ch
        assert ch["stored_bytes"] <= ch["raw_bytes"], ch
    print(q, {c: got[c]["bytes"] for c in got})
PYEOF

# Same logits as the uncompressed pack (ids from the tokenizer, one sequence).
echo "def f12(x): return x * 12" >"$T/prompt.txt"
"$TITAN" tokenize -m "$T/mixed_none.tart" -f "$T/prompt.txt" >"$T/ids" || fail "tokenize"
"$TITAN" inspect "$T/f32_auto.tart" --json >"$T/f32_auto.inspect" || fail "inspect f32 auto"
$PY - "$T" <<'PYEOF' || fail "inspect's groups are not pack's"
import json, sys
T = sys.argv[1]
pack = json.load(open(f"{T}/f32_auto.json"))["codec_choices"]
groups = [{k: c[k] for k in ("group", "codec", "shuffle", "raw_bytes", "stored_bytes")}
          for c in pack[:pack.index(next(c for c in pack if c["group"] == "data"))]]
got = json.load(open(f"{T}/f32_auto.inspect"))
assert got["codec"] == "auto" and got["groups"] == groups, (got["groups"], groups)
assert any(g["shuffle"] > 1 for g in groups), groups  # some f32 group shuffled
PYEOF
for q in f32 mixed; do
    "$TITAN" inspect "$T/${q}_auto.tart" >/dev/null || fail "inspect $q auto"
    for c in none auto; do
        "$TITAN" logits -m "$T/${q}_$c.tart" --ids "$T/ids" --out "$T/${q}_$c.logits" \
            >/dev/null || fail "logits $q $c"
    done
    cmp "$T/${q}_none.logits" "$T/${q}_auto.logits" || fail "$q: auto's logits differ"
done

# Damaged group tables, resealed (data section stored CRC, head CRC).
$PY tests/ref/artifact_ref.py tiny "$T/g.tart" grouped int8 || fail "reference grouped file"
"$TITAN" inspect "$T/g.tart" | grep -q 'codec auto' || fail "reference file is not grouped"
edit() { # edit NAME OFFSET-IN-TABLE FORMAT VALUE
    $PY - "$T/g.tart" "$T/$1.tart" "$2" "$3" "$4" <<'PYEOF'
import struct, sys, zlib
f = bytearray(open(sys.argv[1], "rb").read())
e = 32 + 3 * 40  # the data section's entry
off, stored = struct.unpack_from("<QQ", f, e + 8)
struct.pack_into(sys.argv[4], f, off + int(sys.argv[3]), int(sys.argv[5]))
struct.pack_into("<I", f, e + 32, zlib.crc32(f[off:off + stored]))
struct.pack_into("<I", f, 192, zlib.crc32(f[:192]))
open(sys.argv[2], "wb").write(f)
PYEOF
}
refused() { # refused NAME MESSAGE
    if "$TITAN" inspect "$T/$1.tart" >/dev/null 2>"$T/$1.err"; then fail "$1 accepted"; fi
    grep -qF "$2" "$T/$1.err" || fail "$1: $(cat "$T/$1.err") (want: $2)"
}
edit groups 0 '<I' 40 && refused groups "40 groups (1 to 16)"
edit codec $((8 + 32 + 4)) '<I' 7 && refused codec "data group 1 (attention): unknown codec 7"
edit width $((8 + 8)) '<I' 0 && refused width "data group 0 (embeddings): shuffle width 0 (1 to 8)"
edit raw $((8 + 16)) '<Q' 18446744073709551615 && refused raw "raw bytes, its tensors hold"
edit stored $((8 + 24)) '<Q' 18446744073709551600 && refused stored "absurd sizes"
edit crc $((8 + 12)) '<I' 12345 && refused crc "data group 0 (embeddings) decodes to wrong bytes"
echo "pack --codec auto ok"
