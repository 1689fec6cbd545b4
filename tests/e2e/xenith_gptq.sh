#!/usr/bin/env bash
# xenith_gptq.sh: `titan pack --method gptq` of a xenith model (SPEC section 9,
# issue 24: int8/int6 GPTQ for experts, each its own Hessian from the tokens
# routed to it; tools/titan/gptq_calibrate.c runs the calibration text as one
# stream). Random weights from tests/ref/xenith_ref.py, int8 (int6 for the
# experts in the second pack), adapters unmerged.
# - Every weight's Hessian rows are its own inputs: T calibration tokens for
#   attention, dense, routers and the head; an MoE layer's experts' rows sum
#   to k T (each token runs k experts), each expert's w_gate, w_up and w_down
#   alike; the summarizer's wq M rows and wk S + M rows per complete segment.
# - GPTQ's calibration-weighted output error <= round-to-nearest's for every
#   expert matrix; the adapters stay f32 (storage policy).
# - The packed model's logits equal the reference's on its dequantized
#   weights (titan export) to 1e-4, and on held-out text the float model's
#   within int8's error (rms), no further than round-to-nearest's.
# - A router that ties every expert (zero rows) routes all tokens to experts
#   0..k-1 (ties to the lower index): experts k.. get no rows, stay exactly
#   round-to-nearest and are named on stderr; experts 0..k-1 get T rows.
. "$(dirname "$0")/lib/common.sh"
. tests/e2e/lib/xenith_small.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
xenith_small "$T"
# The same weights with every router (and its adapter) zero: all experts tie.
/usr/bin/python3 - "$T" <<'PY'
import sys
import numpy as np
sys.path.insert(0, "tests/ref")
import safetensors_ref
t = sys.argv[1]
tensors, meta = safetensors_ref.read(t + "/x.st")
out = [(n, d, s, np.zeros(np.array(x).shape) if n.endswith(("router", "router.lora_B")) else x)
       for n, d, s, x in tensors]
safetensors_ref.write(t + "/z.st", out, meta)
PY
head -c 1400 README.md >"$T/calib"
head -c 2000 README.md | tail -c 600 >"$T/held" # held-out text, scored by logits
# pack_one W NAME ARGS...: weights W packed as NAME.tart, exported, its logits.
pack_one() {
    local w=$1 name=$2
    shift 2
    "$TITAN" pack --safetensors "$T/$w.st" --config "$T/x.json" --tokenizer "$T/tok.tok" \
        -o "$T/$name.tart" "$@" >"$T/$name.json" 2>"$T/$name.err" ||
        fail "pack $name: $(cat "$T/$name.err")"
    "$TITAN" export "$T/$name.tart" --safetensors "$T/$name.st" >/dev/null
    "$TITAN" logits -m "$T/$name.tart" --ids "$T/ids" --out "$T/$name.l" >/dev/null
}
gptq=(--method gptq --calib "$T/calib" --calib-tokens 1200 --json --gptq-report)
pack() { # the first call also writes the ids: BOS + the held-out text
    [ -s "$T/ids" ] || { echo 256; "$TITAN" tokenize -m "$T/tok.tart" -f "$T/held"; } >"$T/ids"
    pack_one "$@"
}
pack x f32 --quant f32
pack x rtn --quant int8
pack x g8 --quant int8 "${gptq[@]}"
pack x g6 --quant int8 --tensor-quant '*.experts.*=int6,*.lora_?=f32' "${gptq[@]}"
pack z zr --quant int8
pack z zg --quant int8 "${gptq[@]}"
"$TITAN" inspect "$T/g8.tart" --json >"$T/g8.inspect"
ref --safetensors "$T/g8.st" --config "$T/x.json" --ids "$T/ids" --out "$T/g8.ref"
/usr/bin/python3 - "$T" <<'PY' || fail "xenith gptq"
import json, re, sys
import numpy as np
sys.path.insert(0, "tests/ref")
from golf_ref import read_safetensors
t = sys.argv[1]
Tk, k, E, S, M = 1200, 2, 4, 6, 2
def rows(name):
    return {e["tensor"]: e for e in json.load(open(t + "/%s.json" % name))["gptq"]}
def ok(cond, *what):
    if not cond:
        print("FAIL:", *what)
        sys.exit(1)
for name in ("g8", "g6"):
    g = rows(name)
    ok(not [n for n in g if "lora_" in n], "adapters quantized", name)
    for n in ("blocks.0.wq", "blocks.1.router", "blocks.0.w_down", "lm_head", "blocks.2.wo"):
        ok(g[n]["calib_rows"] == Tk, n, g[n])
    ok(g["mem.layers.0.wq"]["calib_rows"] == M * (Tk // S), g["mem.layers.0.wq"])
    ok(g["mem.layers.0.wk"]["calib_rows"] == (S + M) * (Tk // S), g["mem.layers.0.wk"])
    ratios = {}
    for l in (1, 2):
        per = [g["blocks.%d.experts.%d.w_gate" % (l, e)]["calib_rows"] for e in range(E)]
        ok(sum(per) == k * Tk and max(per) < Tk, "layer", l, "expert rows", per)
        for e in range(E):
            for m in ("w_gate", "w_up", "w_down"):
                r = g["blocks.%d.experts.%d.%s" % (l, e, m)]
                ok(r["calib_rows"] == per[e] and r["type"] == ("int6" if name == "g6" else "int8"), r)
                ok(r["gptq_error"] <= r["rtn_error"], r)
                ratios.setdefault(m, []).append(r["gptq_error"] / r["rtn_error"])
    print("%s: expert rows per layer sum to k T = %d; gptq/rtn output error of the experts: %s"
          % (name, k * Tk, ", ".join("%s %.3f (worst %.3f)" % (m, np.mean(v), max(v))
                                     for m, v in ratios.items())))
types = {x["name"]: x["type"] for x in json.load(open(t + "/g8.inspect"))["tensors"]}
ok(all(v == "f32" for n, v in types.items() if "lora_" in n), "adapter types", types)
lf, lr, lg, lref = (np.fromfile(t + "/%s" % f, "<f4").astype(np.float64)
                    for f in ("f32.l", "rtn.l", "g8.l", "g8.ref"))
rel = lambda a, b: np.abs(a - b).max() / np.abs(b).max()
rms = lambda a, b: np.sqrt(((a - b) ** 2).mean() / (b ** 2).mean())
ok(np.isfinite(lg).all() and rel(lg, lref) <= 1e-4, "packed vs reference", rel(lg, lref))
# int8's tolerance on held-out text: a few percent rms (a routing flip moves a
# position more, so not the max), GPTQ no worse than round-to-nearest.
ok(rms(lg, lf) < 0.05 and rms(lg, lf) <= 1.05 * rms(lr, lf), "vs f32", rms(lg, lf), rms(lr, lf))
print("logits on %d held-out tokens: the int8 gptq pack vs the reference on its weights rel "
      "%.1e; vs f32 rms rel %.2e (rtn %.2e)" % (len(lg) // 300, rel(lg, lref), rms(lg, lf),
                                                 rms(lr, lf)))
# Tied router: experts 0..k-1 take every token, k..E-1 none (round-to-nearest).
g, Z, R = rows("zg"), read_safetensors(t + "/zg.st"), read_safetensors(t + "/zr.st")
for l in (1, 2):
    for e in range(E):
        for m in ("w_gate", "w_up", "w_down"):
            n = "blocks.%d.experts.%d.%s" % (l, e, m)
            same = np.array_equal(Z[n].numpy(), R[n].numpy())
            ok(g[n]["calib_rows"] == (Tk if e < k else 0), n, g[n])
            ok(same == (e >= k), n, "equals rtn" if same else "differs from rtn")
err = open(t + "/zg.err").read()
ok(re.search(r"gptq: \d+ matrices never multiplied.*blocks\.1\.experts\.2\.w_gate", err), err)
ok(re.search(r"blocks\.1\.experts\.3\.w_down +int8 +0 +rtn", err), err)
print("tied router: experts 0..%d got %d rows each, %d..%d none and stay round-to-nearest"
      % (k - 1, Tk, k, E - 1))
PY
echo "xenith gptq ok"
