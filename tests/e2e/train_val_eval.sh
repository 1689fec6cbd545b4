#!/usr/bin/env bash
# train_val_eval.sh: the val_bpb titan-train logs is the one `titan eval`
# computes (SPEC section 3 through core/eval.c): a tiny model's last logged
# val_bpb and val_loss agree within 1e-4 with titan eval of its checkpoint
# packed as f32, with the same ctx (--seq), stride (--val-stride) and cap
# (--val-tokens = --max-tokens), cut short or the whole file, 1 or 2 threads.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/tiny_model.sh"
code_corpus 300 >"$T/train.txt"
tail -c 1500 "$T/train.txt" >"$T/val.txt"
check() { # NAME CTX STRIDE CAP THREADS [FLAGS...]
    local name=$1 ctx=$2 stride=$3 cap=$4 threads=$5; shift 5
    mkdir "$T/$name"
    tiny_ckpt "$T/$name" "$T/train.txt" "$T/val.txt" --steps 30 --batch 2 --seq "$ctx" \
        --val-stride "$stride" --val-every 30 --val-tokens "$cap" --threads "$threads" \
        --log "$T/$name/log" "$@" || fail "$name: train"
    "$TITAN" pack --ckpt "$T/$name/m.ckpt" --quant f32 -o "$T/$name/m.tart" >/dev/null ||
        fail "$name: pack"
    "$TITAN" eval -m "$T/$name/m.tart" --text "$T/val.txt" --ctx "$ctx" --stride "$stride" \
        --max-tokens "$cap" --json >"$T/$name/eval.json" 2>/dev/null || fail "$name: eval"
    /usr/bin/python3 - "$T/$name" <<'PY' || fail "$name: logged val_bpb differs from titan eval"
import json, sys
d = sys.argv[1]
logged = [json.loads(l) for l in open(d + "/log")][-1]
ev = json.load(open(d + "/eval.json"))
print("%s: val_bpb train %.6f eval %.6f, val_loss %.6f %.6f (%d targets)" % (
    d.rsplit("/", 1)[1], logged["val_bpb"], ev["val_bpb"], logged["val_loss"],
    ev["val_loss"], ev["tokens"]))
for k in ("val_bpb", "val_loss"):
    assert abs(logged[k] - ev[k]) <= 1e-4 * ev[k], k
PY
}
check cut 24 7 300 1
check whole 16 16 1000000 2 --ema 0.9
check slide 32 5 700 2
echo "train val_bpb == titan eval ok"
