#!/usr/bin/env bash
# golf_logits.sh: the runtime runs SPEC section 8 (every option but Gated
# DeltaNet): logits of every head match the PyTorch reference golf_ref.py
# within 1e-4 relative, on cpu and ref, for each option alone and all
# together on gqa and mla, and the two record presets shrunk
# (tests/ref/golf_logits_check.py); a GDN block is refused by name. Then on a
# golf-shaped model: the tpu backend (int8 matmuls) stays close, `titan eval`
# and `titan run` work with the arena exactly as planned, and `titan plan
# --preset golf-1.1531 --json` counts the record's parameters and caches.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
$PY tests/ref/golf_logits_check.py "$TITAN" "$dir" || fail "logits disagree with golf_ref"

art=$dir/golf-1.1531_shrunk.pack.tart
"$TITAN" logits -m "$art" --ids "$dir/ids" --out "$dir/tpu" --backend tpu || fail "tpu logits"
"$TITAN" logits -m "$art" --ids "$dir/ids" --out "$dir/cpu" --backend cpu || fail "cpu logits"
$PY - "$dir" <<'PYEOF' || fail "tpu logits of a golf model"
import sys, numpy as np
d = sys.argv[1]
tpu, cpu = (np.fromfile("%s/%s" % (d, b), "<f4") for b in ("tpu", "cpu"))
err = np.abs(tpu - cpu).max() / np.abs(cpu).max()
print("golf logits tpu vs cpu: %.3g relative" % err)
assert 0 < err <= 0.05, err     # int8 activations and weights: close, not equal
PYEOF

"$TITAN" eval -m "$art" --text tests/e2e/golf_logits.sh --ctx 48 --stride 16 --json \
    >"$dir/eval.json" || fail "eval of a golf model"
"$TITAN" eval -m "$art" --text tests/e2e/golf_logits.sh --ctx 48 --stride 16 --json \
    --backend ref --max-tokens 300 >"$dir/eval_ref.json" || fail "eval ref"
"$TITAN" eval -m "$art" --text tests/e2e/golf_logits.sh --ctx 48 --stride 16 --json \
    --max-tokens 300 >"$dir/eval_cpu.json" || fail "eval cpu"
"$TITAN" run -m "$art" -p "golf" -n 12 --speculative --json >"$dir/run.json" ||
    fail "run of a golf model"
$PY - "$dir" <<'PYEOF' || fail "eval/run of a golf model"
import json, math, sys
d = sys.argv[1]
e = json.load(open(d + "/eval.json"))
assert e["tokens"] == e["bytes"] > 1000 and math.isfinite(e["val_bpb"]) and e["val_bpb"] > 0, e
ref, cpu = (json.load(open("%s/eval_%s.json" % (d, b)))["val_bpb"] for b in ("ref", "cpu"))
assert abs(ref - cpu) <= 1e-4 * ref, (ref, cpu)
r = json.load(open(d + "/run.json"))
assert r["tokens"] == 12 and r["arena_bytes"] == r["arena_used"], r
print("golf eval val_bpb %.4f (ref %.6f, cpu %.6f); run ok" % (e["val_bpb"], ref, cpu))
PYEOF

"$TITAN" plan --preset golf-1.1531 --json >"$dir/plan.json" || fail "plan --preset golf-1.1531"
$PY - "$dir/plan.json" <<'PYEOF' || fail "plan of golf-1.1531"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["params"] == p["active_params"] == 27005532 and p["tensors"] == 144, p
# 17 gqa layers, 4 groups of k (64) and v (64) floats each per token
assert p["cache_bytes_per_token"] == 17 * 4 * (64 + 64) * 4, p
assert 0 <= p["cache_bytes"] - p["cache_bytes_per_token"] * p["ctx"] < 65536, p
assert p["runtime_bytes"] == p["cache_bytes"] + p["scratch_bytes"], p
print("plan golf-1.1531: %d parameters, %d cache bytes per token" %
      (p["params"], p["cache_bytes_per_token"]))
PYEOF
echo "golf logits ok"
