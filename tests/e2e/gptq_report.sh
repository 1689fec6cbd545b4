#!/usr/bin/env bash
# gptq_report.sh: GPTQ through the whole pack path. A short titan-train run,
# then titan pack --method gptq on its own training text (the forward pass
# with the calibration hooks, Hessians summed over both recurrences) with
# --json and --gptq-report. Every quantized matrix gets a Hessian and a lower
# calibration-weighted output error tr((W-Q) H (W-Q)^T) / tr(W H W^T) than
# round-to-nearest: block matrices from their inputs and wkv_b from the
# cached latents (calibration tokens x n_recurrences rows), tok_emb (the tied
# head 1) and mtp.2.head from the final normed rows (calibration tokens).
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=${KEEP:-$(mktemp -d)}; [ -n "${KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
for i in $(seq 1 400); do
    echo "item $i: the $((i % 9)) red boxes hold $((i * 3 % 17)) coins; line $i ends"
done >"$T/train.txt"
tail -c 1500 "$T/train.txt" >"$T/val.txt"
. tests/e2e/lib/tiny_model.sh
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 30 --batch 2 --seq 32 || fail "train"

"$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/g.tart" --quant mixed --method gptq \
    --tensor-quant 'blocks.1.w_up=int8' --calib "$T/train.txt" --calib-tokens 700 \
    --json --gptq-report >"$T/g.json" 2>"$T/g.txt" || fail "pack gptq: $(cat "$T/g.txt")"
"$TITAN" eval -m "$T/g.tart" --text "$T/val.txt" --ctx 32 --stride 16 --json >/dev/null || fail "eval"

$PY - "$T" <<'PYEOF' || fail "gptq report"
import json, sys
T = sys.argv[1]
r = json.load(open(f"{T}/g.json"))
assert r["method"] == "gptq", r
g = {e["tensor"]: e for e in r["gptq"]}
heads = {"tok_emb", "mtp.2.head"}
want = {f"blocks.{b}.{m}" for b in (0, 1)
        for m in ("wq_a", "wq_b", "wkv_a", "wkv_b", "wo", "w_gate", "w_up", "w_down")}
assert set(g) == want | heads, sorted(g)
assert g["blocks.1.w_up"]["type"] == "int8" and g["blocks.0.w_up"]["type"].startswith("int6")
for k, e in g.items():
    # 700 tokens; block matrices and wkv_b in both recurrences
    assert e["calib_rows"] == 700 * (1 if k in heads else 2), (k, e)
    assert 0 < e["gptq_error"] < e["rtn_error"] < 1, (k, e)
    print(f"{k:18s} {e['type']:5s} gptq/rtn {e['gptq_error'] / e['rtn_error']:.3f}")
table = {l.split()[0]: l.split() for l in open(f"{T}/g.txt") if l.split()[0] in g}
assert set(table) == want | heads, sorted(table)
for k, row in table.items():
    assert abs(float(row[-1]) - g[k]["gptq_error"] / g[k]["rtn_error"]) < 1e-4, (k, row)
PYEOF

exits 2 "$TITAN" pack --ckpt "$T/m.ckpt" -o "$T/x.tart" --quant int6 --gptq-report ||
    fail "--gptq-report without gptq"
echo "gptq report ok"
