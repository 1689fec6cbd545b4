#!/usr/bin/env bash
# int6_layout.sh: a short titan-train run -> titan pack with int8, int6
# bit-packed, int6 one value per byte (int6b), auto and mixed (with an int6b
# override) -> inspect, run
# and eval on every backend. The two int6 layouts hold the same values, so
# their exports, generations and val_bpb are identical; auto keeps the smaller
# of the two files it measured; a bad --int6-layout exits 2.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
for i in $(seq 1 300); do
    echo "the value $i is $((i * 7 % 13)) more than $((i % 5)), said line $i"
done >"$T/train.txt"
tail -c 1500 "$T/train.txt" >"$T/val.txt"
. tests/e2e/lib/tiny_model.sh
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 20 --batch 2 --seq 16 || fail "train"

pk() { local name=$1; shift
    "$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/$name.tart" --json "$@" >"$T/$name.pack" ||
        fail "pack $name $*"
    "$TITAN" inspect "$T/$name.tart" --json >"$T/$name.json" || fail "inspect $name"
}
pk int8 --quant int8 --codec lzma
pk int6p --quant int6 --int6-layout packed --codec brotli
pk int6b --quant int6 --int6-layout byte --codec brotli
pk auto --quant int6 --codec lzma
pk mixed --quant mixed --int6-layout packed --tensor-quant 'blocks.1.wo=int6b' --codec none

for a in int6p int6b; do
    "$TITAN" export "$T/$a.tart" --safetensors "$T/$a.st" >/dev/null || fail "export $a"
done
cmp -s "$T/int6p.st" "$T/int6b.st" || fail "the two int6 layouts export different values"

$PY - "$T" <<'PYEOF' || fail "pack/inspect report"
import json, os, sys
T = sys.argv[1]
def types(a): return {t["name"]: t["type"] for t in json.load(open(f"{T}/{a}.json"))["tensors"]}
def pack(a): return json.load(open(f"{T}/{a}.pack"))
p, b = types("int6p"), types("int6b")
assert p["tok_emb"] == "int6" and b["tok_emb"] == "int6b", (p["tok_emb"], b["tok_emb"])
assert {n: t for n, t in p.items() if t != "int6"} == {n: t for n, t in b.items() if t != "int6b"}
assert pack("int6p")["int6_layout"] == "packed" and pack("int6b")["int6_layout"] == "byte"
assert pack("int8")["int6_layout"] is None and "int6" not in types("int8").values()
# raw bytes: int6b stores cols bytes a row, int6 ceil(cols/4)*3
sb = {t["name"]: t["stored_bytes"] for t in json.load(open(f"{T}/int6b.json"))["tensors"]}
assert sb["tok_emb"] == 300 * 16 + 300 * 4 + (-(300 * 16) % 64), sb["tok_emb"]
a = pack("auto")
assert a["int6_packed_bytes"] and a["int6_byte_bytes"], a
assert a["bytes"] == min(a["int6_packed_bytes"], a["int6_byte_bytes"]) == os.path.getsize(f"{T}/auto.tart"), a
want = "int6b" if a["int6_byte_bytes"] < a["int6_packed_bytes"] else "int6"
assert a["int6_layout"] == ("byte" if want == "int6b" else "packed"), a
assert types("auto")["blocks.0.w_up"] == want
m = types("mixed")
assert m["blocks.0.wo"] == "int6" and m["blocks.1.wo"] == "int6b" and m["tok_emb"] == "int8", m
PYEOF

bpb() { "$TITAN" eval -m "$T/$1.tart" --text "$T/val.txt" --ctx 32 --stride 16 --json \
        --backend "$2" --threads 1 >"$T/e.json" || fail "eval $1 $2"
    $PY -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["val_bpb"]))' "$T/e.json"; }
gen() { "$TITAN" run -m "$T/$1.tart" -p "the value" -n 12 --greedy --backend "$2" \
        --threads 1 2>/dev/null || fail "run $1 $2"; }
for be in cpu ref tpu; do
    p=$(bpb int6p $be) b=$(bpb int6b $be)
    [ -n "$p" ] && [ "$p" = "$b" ] || fail "$be: val_bpb differs between int6 layouts: $p $b"
    p=$(gen int6p $be) b=$(gen int6b $be)
    [ -n "$p" ] && [ "$p" = "$b" ] || fail "$be: generation differs between int6 layouts"
    for a in int8 auto mixed; do
        v=$(bpb $a $be)
        $PY -c 'import sys, math; v = float(sys.argv[1]); assert 0 < v < 20 and math.isfinite(v), v' "$v" ||
            fail "$a $be: val_bpb $v"
        [ -n "$(gen $a $be)" ] || fail "$a $be: no text"
    done
done

exits 2 "$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/x.tart" --quant int6 --int6-layout nibble ||
    fail "bad --int6-layout"
grep -q "packed, byte or auto" <<<"$stderr" || fail "bad --int6-layout: $stderr"
echo "int6 layout ok"
