#!/usr/bin/env bash
# ckpt_hostile.sh: damaged and hostile trainer checkpoints (formats/checkpoint.c)
# are refused with exit 1 and a message saying what is wrong by every reader:
# `titan pack --ckpt`, `titan-train export` and `titan-train train --resume`.
# Cases are built from a real checkpoint at test time: truncation, wrong format
# tag, each metadata key missing, bad tokenizer hex, counters that are not
# plain decimals or out of range, a broken config, tensors of the wrong type
# or shape, a set with a tensor missing, a stray tensor, no opt.v set, an
# export choice the file does not hold. The intact file passes all three.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for i in $(seq 1 200); do echo "def h$i(z): return z + $i  # hostile line $i"; done >"$T/train.txt"
head -c 1500 "$T/train.txt" >"$T/val.txt"
. "$(dirname "$0")/lib/tiny_model.sh"
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 4 --batch 2 --seq 16 --ema 0.9 || fail "train"
/usr/bin/python3 - "$T" <<'PY' || fail "building cases"
import json, struct, sys
T = sys.argv[1]
raw = open(T + "/m.ckpt", "rb").read()
n = struct.unpack_from("<Q", raw)[0]
hdr = json.loads(raw[8:8 + n]); meta = hdr.pop("__metadata__")
data = raw[8 + n:]
tensors = {k: data[v["data_offsets"][0]:v["data_offsets"][1]] for k, v in hdr.items()}
shapes = {k: v["shape"] for k, v in hdr.items()}
def write(name, meta, tensors, shapes, dtypes={}):
    h, off, blobs = {}, 0, []
    for k, b in tensors.items():
        h[k] = {"dtype": dtypes.get(k, "F32"), "shape": shapes[k], "data_offsets": [off, off + len(b)]}
        off += len(b); blobs.append(b)
    h["__metadata__"] = meta
    js = json.dumps(h).encode(); js += b" " * (-len(js) % 8)
    open("%s/%s.ckpt" % (T, name), "wb").write(struct.pack("<Q", len(js)) + js + b"".join(blobs))
def meta_case(name, **kv):
    m = dict(meta); m.update(kv)
    write(name, {k: v for k, v in m.items() if v is not None}, tensors, shapes)
open(T + "/cases", "w").write("")
cases = []
def case(name, why, fn, *a, **kv):
    fn(name, *a, **kv); cases.append((name, why))
case("intact", "", meta_case)
open(T + "/cut.ckpt", "wb").write(raw[:len(raw) - 5]); cases.append(("cut", "safetensors"))
case("format", "format", meta_case, format="titan-checkpoint-2")
for key in ("format", "config", "tokenizer", "export", "step", "rng", "data_pos",
            "swa_count", "qat_on"):
    case("no_" + key, key if key != "format" else "format", meta_case, **{key: None})
case("hex_odd", "odd length", meta_case, tokenizer=meta["tokenizer"] + "a")
case("hex_bad", "tokenizer hex", meta_case, tokenizer="zz" + meta["tokenizer"][2:])
case("hex_upper", "tokenizer hex", meta_case, tokenizer=meta["tokenizer"].upper())
for key, v in (("step", "-1"), ("step", "1e3"), ("step", " 4"), ("step", ""),
               ("step", "9223372036854775808"), ("rng", "18446744073709551616"),
               ("qat_on", "2"), ("swa_count", "5"), ("data_pos", "0x10")):
    case("num_%s_%d" % (key, len(cases)), key, meta_case, **{key: v})
case("config", "", meta_case, config='{"vocab_size": 300')
case("export_swa", "export", meta_case, export="swa")
case("export_best", "export", meta_case, export="best")
t2 = dict(tensors); s2 = dict(shapes); t2["extra/tok_emb"] = tensors["tok_emb"]; s2["extra/tok_emb"] = shapes["tok_emb"]
case("stray", "belong to no set", write, meta, t2, s2)
t3 = {k: v for k, v in tensors.items() if k != "ema/final_norm"}
case("ema_short", "ema/final_norm missing", write, meta, t3, shapes)
t4 = {k: v for k, v in tensors.items() if not k.startswith("opt.v/")}
case("no_optv", "opt.v", write, meta, t4, shapes)
s5 = dict(shapes); s5["final_norm"] = [shapes["final_norm"][0] // 2]
t5 = dict(tensors); t5["final_norm"] = tensors["final_norm"][:len(tensors["final_norm"]) // 2]
case("shape", "final_norm", write, meta, t5, s5)
t6 = dict(tensors); t6["tok_emb"] = tensors["tok_emb"][:len(tensors["tok_emb"]) // 2]
case("dtype", "tok_emb", write, meta, t6, shapes, {"tok_emb": "F16"})
open(T + "/cases", "w").write("".join("%s\t%s\n" % c for c in cases))
PY
while IFS=$'\t' read -r name why; do
    ck="$T/$name.ckpt"
    for tool in pack export resume; do
        case $tool in
        pack) cmd=("$TITAN" pack --ckpt "$ck" -o "$T/x.tart") ;;
        export) cmd=("$TITAN_TRAIN" export "$ck" -o "$T/x.st") ;;
        resume) cmd=("$TITAN_TRAIN" train --config "$T/cfg.json" --tokenizer "$T/tok"
                     --train "$T/train.txt" --val "$T/val.txt" --steps 4 --batch 2 --seq 16
                     --ema 0.9 --threads 1 --resume "$ck" -o "$T/r.ckpt") ;;
        esac
        rc=0
        "${cmd[@]}" >/dev/null 2>"$T/err" || rc=$?
        if [ "$name" = intact ]; then
            [ $rc = 0 ] || fail "intact checkpoint refused by $tool: $(cat "$T/err")"
            continue
        fi
        [ $rc = 1 ] || fail "$name: $tool exits $rc, want 1 ($(head -c 300 "$T/err"))"
        grep -q "checkpoint\|safetensors" "$T/err" && grep -q -- "$why" "$T/err" ||
            fail "$name: $tool says '$(head -c 300 "$T/err")', want it to name '$why'"
    done
done <"$T/cases"
[ "$(wc -l <"$T/cases")" -gt 30 ] || fail "cases missing"
echo "hostile checkpoints refused"
