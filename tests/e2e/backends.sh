#!/usr/bin/env bash
# backends.sh: --backend cpu|ref|tpu on titan logits, eval and run: cpu equals
# ref within 1e-4 relative (logits, val_bpb), tpu (int8 emulator) is close,
# eval results do not depend on --threads (workers x backend threads), the tpu
# report (JSON table and totals, --tpu-report FILE) adds up, bad values exit 2.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
"$TITAN" init --preset nano --seed 5 -o "$dir/nano.art" >/dev/null || fail "init"
printf '256 72 101 108 108 111 32\n119 111 114 108 100\n' >"$dir/ids"

for be in cpu ref tpu; do
    "$TITAN" logits -m "$dir/nano.art" --ids "$dir/ids" --out "$dir/l.$be" --backend $be \
        --threads 2 || fail "logits --backend $be"
done
$PY - "$dir" <<'PYEOF' || fail "logits across backends"
import sys, numpy as np
l = {b: np.fromfile("%s/l.%s" % (sys.argv[1], b), "<f4").reshape(12, 1024) for b in ("cpu", "ref", "tpu")}
scale = np.abs(l["ref"]).max()
cpu, tpu = (np.abs(l[b] - l["ref"]).max() / scale for b in ("cpu", "tpu"))
print("logits vs ref: cpu %.3g, tpu %.3g relative" % (cpu, tpu))
assert scale > 0 and cpu <= 1e-4, cpu
assert 0 < tpu <= 0.05, tpu    # int8 activations and weights: close, not equal
PYEOF

# ev BACKEND THREADS: eval JSON of this script's own text (short: ref is slow)
ev() {
    "$TITAN" eval -m "$dir/nano.art" --text tests/e2e/backends.sh --ctx 48 --stride 16 \
        --max-tokens 240 --backend "$1" --threads "$2" --json "${@:3}"
}
ev ref 1 >"$dir/ref.json" || fail "eval ref"
ev cpu 1 >"$dir/cpu1.json" || fail "eval cpu 1"
ev cpu 2 >"$dir/cpu2.json" || fail "eval cpu 2"
ev cpu 3 >"$dir/cpu3.json" || fail "eval cpu 3"
"$TITAN" inspect "$dir/nano.art" --json >"$dir/inspect.json" || fail "inspect"
ev tpu 2 --tpu-array 32x16 --tpu-report "$dir/report.json" >"$dir/tpu.json" || fail "eval tpu"
$PY - "$dir" <<'PYEOF' || fail "eval across backends"
import json, sys
d = sys.argv[1]
r = {n: json.load(open("%s/%s.json" % (d, n))) for n in ("ref", "cpu1", "cpu2", "cpu3", "tpu")}
for n in ("cpu1", "cpu2", "cpu3"):
    assert r[n]["backend"] == "cpu" and r[n]["tokens"] == 240
    assert r[n]["workers"] * r[n]["backend_threads"] <= r[n]["threads"], r[n]
# Each worker's cpu backend sums rows the same way for any split: identical.
assert r["cpu1"]["nll"] == r["cpu2"]["nll"] == r["cpu3"]["nll"], [r[n]["nll"] for n in r]
assert r["cpu2"]["workers"] == 2 and r["cpu3"]["workers"] == 3
ref, cpu, tpu = (r[n]["val_bpb"] for n in ("ref", "cpu1", "tpu"))
print("val_bpb ref %.6f cpu %.6f tpu %.6f" % (ref, cpu, tpu))
assert abs(cpu - ref) <= 1e-4 * ref
assert abs(tpu - ref) <= 0.02, (tpu, ref)
t = r["tpu"]["tpu"]
assert (t["rows"], t["cols"], t["dataflow"]) == (32, 16, "ws")
# One row per weight the backend multiplies: 7 matrices per unique block
# (wkv_b is absorbed into attention) plus the tied head.
blocks = json.load(open(d + "/inspect.json"))["config"]["n_unique_blocks"]
assert len(t["layers"]) == 7 * blocks + 1, (len(t["layers"]), blocks)
for key in ("macs", "cycles", "offchip_bytes", "gemms"):
    assert sum(l[key] for l in t["layers"]) == t["total"][key], key
assert t["total"]["macs"] > 0 and t["total"]["refused"] == 0
assert json.load(open(d + "/report.json")) == t    # --tpu-report FILE
PYEOF

has "^total" "$TITAN" eval -m "$dir/nano.art" --text tests/e2e/backends.sh --ctx 16 \
    --stride 16 --max-tokens 32 --backend tpu --tpu-report "$dir/report.txt" ||
    fail "eval tpu text table"
grep -q "^blocks.0.wq_a" "$dir/report.txt" || fail "--tpu-report text table"

"$TITAN" run -m "$dir/nano.art" -p "Hi" -n 3 --greedy --backend tpu --json \
    --tpu-dataflow os --tpu-report "$dir/run_report.json" >"$dir/run.json" || fail "run tpu"
$PY - "$dir" <<'PYEOF' || fail "run tpu report"
import json, sys
r = json.load(open(sys.argv[1] + "/run.json"))
assert r["backend"] == "tpu" and r["tokens"] == 3
assert r["arena_bytes"] == r["arena_used"]      # exact plan with the emulator too
t = r["tpu"]
assert t["dataflow"] == "os" and t["total"]["gemms"] > 0
assert sum(l["macs"] for l in t["layers"]) == t["total"]["macs"]
assert json.load(open(sys.argv[1] + "/run_report.json")) == t
PYEOF
"$TITAN" run -m "$dir/nano.art" -p "Hi" -n 2 --backend tpu --tpu-report "$dir/run.txt" \
    >/dev/null 2>&1 || fail "run tpu text"
grep -q "^total" "$dir/run.txt" || fail "run --tpu-report text table"

# refused with exit 2: unknown backend, bad array/dataflow, report without tpu
for cmd in "run -m $dir/nano.art -n 1" "logits -m $dir/nano.art --ids $dir/ids --out $dir/x" \
           "eval -m $dir/nano.art --text $dir/ids"; do
    for bad in "--backend gpu" "--backend tpu --tpu-array 3x3" "--backend tpu --tpu-array 8" \
               "--backend tpu --tpu-dataflow rs" "--backend tpu --tpu-array 300x8"; do
        exits 2 "$TITAN" $cmd $bad || fail "titan $cmd $bad exits 2"
    done
done
exits 2 "$TITAN" run -m "$dir/nano.art" -n 1 --tpu-report "$dir/x" ||
    fail "--tpu-report without --backend tpu exits 2"
exits 1 "$TITAN" eval -m "$dir/nano.art" --text "$dir/ids" --backend tpu \
    --tpu-report /nonexistent/dir/r || fail "unwritable --tpu-report exits 1"
echo "backends ok"
