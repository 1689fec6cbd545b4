#!/usr/bin/env bash
# quant_pack.sh: a short titan-train run -> titan pack --ckpt with int8, int6,
# mixed (+ --drop-mtp, per-tensor overrides, groups) and every codec ->
# inspect -> export, checked against an independent numpy implementation of
# round-to-nearest with clip search over the checkpoint's EMA weights; bad
# overrides exit 2, over budget exits 1 with a per-tensor table.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
for i in $(seq 1 300); do
    echo "def f$i(x): return x * $i + $((i % 7))  # line $i of the corpus"
done >"$T/train.txt"
head -c 2000 "$T/train.txt" >"$T/val.txt"
. tests/e2e/lib/tiny_model.sh
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 20 --batch 2 --seq 16 --ema 0.9 || fail "train"

pk() { "$TITAN" pack --ckpt "$T/m.ckpt" "$@" >/dev/null || fail "pack $*"; }
pk -o "$T/int8.tart" --quant int8 --codec lzma
pk -o "$T/int6.tart" --quant int6 --codec brotli
pk -o "$T/int6g.tart" --quant int6 --group-size 10 --clip-steps 5 --codec xz
pk -o "$T/mixed.tart" --quant mixed --drop-mtp --tensor-quant 'blocks.1.w_*=int8,final_norm=bf16'
pk -o "$T/raw.tart" --quant f32 --weights raw
pk -o "$T/gptq.tart" --quant int6 --method gptq --calib "$T/train.txt" --calib-tokens 600
"$TITAN" inspect "$T/int6.tart" >"$T/int6.txt" || fail "inspect text"
for a in int8 int6 int6g mixed raw gptq; do
    "$TITAN" inspect "$T/$a.tart" --json >"$T/$a.json" || fail "inspect $a"
    "$TITAN" export "$T/$a.tart" --safetensors "$T/$a.st" >/dev/null || fail "export $a"
done

$PY - "$T" <<'PYEOF' || fail "quantized values differ from the numpy reference"
import json, struct, sys
import numpy as np
T = sys.argv[1]
def load(p):
    raw = open(p, "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    meta = hdr.pop("__metadata__", {})
    return {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                             np.float32).reshape(v["shape"]) for k, v in hdr.items()}, meta
ck, meta = load(f"{T}/m.ckpt")
assert meta["export"] == "ema"
f32 = np.float32
def rtn(w, qmax, group, steps, scales=None):  # clip search: amax*(1-k/100)/qmax, least SSE
    w = w.reshape(w.shape[0], -1); out = np.empty_like(w)
    g = group or w.shape[1]
    for r in range(w.shape[0]):
        for c0 in range(0, w.shape[1], g):
            x = w[r, c0:c0 + g]; amax = f32(np.abs(x).max()); best = None
            for k in range(steps if amax > 0 else 1):
                s = f32(amax * f32(f32(1) - f32(0.01) * f32(k))) / f32(qmax) if amax > 0 else f32(1)
                q = np.clip(np.rint(x / s), -qmax - 1, qmax)
                e = np.cumsum((q.astype(np.float64) * np.float64(s) - x) ** 2)[-1]
                if best is None or e < best[0]: best = (e, (q * s + f32(0)).astype(f32), s)  # no -0
            out[r, c0:c0 + g] = best[1]
            if scales is not None: scales.append(best[2])
    return out
def check(name, want):
    got, _ = load(f"{T}/{name}.st")
    info = {t["name"]: t for t in json.load(open(f"{T}/{name}.json"))["tensors"]}
    assert got.keys() == want.keys(), (name, sorted(set(got) ^ set(want)))
    for k, (typ, ref) in want.items():
        # int6 values in either layout (--int6-layout auto keeps the smaller)
        assert info[k]["type"] in ((typ, typ + "b") if typ == "int6" else (typ,)), \
            (name, k, info[k]["type"], typ)
        assert got[k].tobytes() == ref.reshape(got[k].shape).tobytes(), (name, k)
small = lambda k: k.endswith("norm") or k.endswith("conv")
ema = {k[4:]: v for k, v in ck.items() if k.startswith("ema/")}
check("int8", {k: ("f32", v) if small(k) else ("int8", rtn(v, 127, 0, 21)) for k, v in ema.items()})
check("int6", {k: ("f32", v) if small(k) else ("int6", rtn(v, 31, 0, 21)) for k, v in ema.items()})
check("int6g", {k: ("f32", v) if small(k) else ("int6", rtn(v, 31, 10, 5)) for k, v in ema.items()})
check("raw", {k: ("f32", ck[k]) for k in ema})
mixed = {}
for k, v in ema.items():
    if k.startswith("mtp."): continue
    if k == "final_norm": mixed[k] = ("bf16", (v.view(np.uint32) + 0x7FFF + ((v.view(np.uint32) >> 16) & 1) & 0xFFFF0000).view(f32))
    elif small(k): mixed[k] = ("f16", v.astype(np.float16).astype(f32))
    elif k.startswith("blocks.1.w_"): mixed[k] = ("int8", rtn(v, 127, 0, 21))
    elif k.startswith("blocks."): mixed[k] = ("int6", rtn(v, 31, 0, 21))
    else: mixed[k] = ("int8", rtn(v, 127, 0, 21))
check("mixed", mixed)
assert json.load(open(f"{T}/mixed.json"))["config"]["mtp_heads"] == 1
# inspect's entropy column: Shannon entropy of the int6 values, in bytes.
rows = {l.split()[0]: l.split() for l in open(f"{T}/int6.txt") if l.startswith(("tok_emb ", "blocks."))}
for k in ["tok_emb", "blocks.0.w_down", "blocks.1.wq_b"]:
    sc = []; r = rtn(ema[k], 31, 0, 21, sc)
    q = np.rint(r / np.array(sc, np.float32)[:, None]).astype(int).ravel()
    p = np.bincount(q + 32) / q.size; p = p[p > 0]
    want = -(p * np.log2(p)).sum() * q.size / 8
    assert abs(float(rows[k][-1]) - want) <= 1, (k, rows[k], want)
assert rows["blocks.0.attn_norm"][-1] == "-"
# GPTQ changes the values of every quantized matrix (block matrices, wkv_b
# from the cached latents, tok_emb and mtp.2.head as heads); each row stays on
# the int6 grid of one of the clips amax * (1 - k/100) / 31, k < 21.
gq, _ = load(f"{T}/gptq.st"); rq, _ = load(f"{T}/int6.st")
changed = set()
for k, v in ema.items():
    if small(k): continue
    w = v.reshape(v.shape[0], -1); g = gq[k].reshape(w.shape)
    clips = np.abs(w).max(1)[:, None] * (1 - np.arange(21, dtype=f32) / f32(100)) / f32(31)
    for r in range(w.shape[0]):
        steps = g[r][None, :] / clips[r][:, None].astype(f32)
        ok = (np.abs(steps - np.rint(steps)).max(1) < 1e-3) & (steps.min(1) >= -32.001) & \
             (steps.max(1) <= 31.001)
        assert ok.any(), (k, r)
    if g.tobytes() != rq[k].tobytes(): changed.add(k.split(".")[-1] if k.startswith("blocks.") else k)
assert changed == {"wq_a", "wq_b", "wkv_a", "wkv_b", "wo", "w_gate", "w_up", "w_down",
                   "tok_emb", "mtp.2.head"}, changed
PYEOF

. tests/e2e/lib/expect.sh
K=(--ckpt "$T/m.ckpt" -o "$T/x.tart")
expect 2 "override matching nothing" "$TITAN" pack "${K[@]}" --tensor-quant 'blocks.9.*=int8'
expect 2 "override unknown type" "$TITAN" pack "${K[@]}" --tensor-quant 'tok_emb=int4'
expect 2 "override without =" "$TITAN" pack "${K[@]}" --tensor-quant 'tok_emb'
expect 2 "bad weights" "$TITAN" pack "${K[@]}" --weights best
expect 2 "gptq without --calib" "$TITAN" pack "${K[@]}" --quant int6 --method gptq
expect 2 "unknown method" "$TITAN" pack "${K[@]}" --method awq
expect 2 "clip steps 0" "$TITAN" pack "${K[@]}" --clip-steps 0
expect 1 "swa not kept" "$TITAN" pack "${K[@]}" --weights swa
expect 1 "not a checkpoint" "$TITAN" pack --ckpt "$T/int8.st" -o "$T/x.tart"
expect 1 "over budget" "$TITAN" pack "${K[@]}" --quant int6 --budget 100
grep -q "^tok_emb  *int6b\? " <<<"$stderr" || fail "over budget: no per-tensor table"
echo "quant pack ok"
