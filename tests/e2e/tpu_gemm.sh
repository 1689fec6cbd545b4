#!/usr/bin/env bash
# tpu_gemm.sh: `titan tpu --gemm` reports the hand-worked cycle counts, the
# fast and cycle-stepped modes agree on counters and results, and bad shapes
# or arrays exit 2.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
key() { $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

out=$("$TITAN" tpu --gemm 10,8,4 --array 4x4 --json) || fail "tpu gemm runs"
[ "$(echo "$out" | key cycles)" = 30 ] || fail "ws 10x8x4 on 4x4: 30 cycles"
[ "$(echo "$out" | key macs)" = 320 ] || fail "macs"
# SCALE-Sim v2: 4 folds x (2*4 + 4 + 5 - 2) lines - 1.
out=$("$TITAN" tpu --gemm 5,6,7 --array 4x4 --scalesim --json --no-values)
[ "$(echo "$out" | key cycles)" = 59 ] || fail "scalesim ws 5x6x7: 59 cycles"
out=$("$TITAN" tpu --gemm 9,3,5 --array 8x4 --dataflow os --scalesim --json)
[ "$(echo "$out" | key cycles)" = 51 ] || fail "scalesim os 9x3x5 on 8x4: 51"

# Fast and cycle modes: same JSON apart from the simulation speed fields.
for args in "--gemm 37,29,23 --array 8x5" "--gemm 17,40,9 --array 6x12 --dataflow os" \
            "--gemm 1,50,30 --array 4x7 --scalesim"; do
    a=$("$TITAN" tpu $args --json --mode fast) || fail "fast $args"
    b=$("$TITAN" tpu $args --json --mode cycle) || fail "cycle $args"
    $PY - "$a" "$b" <<'PYEOF' || fail "fast != cycle for $args"
import json, sys
a, b = (json.loads(s) for s in sys.argv[1:3])
for d in (a, b):
    for k in ("mode", "sim_seconds", "sim_macs_per_s"):
        d.pop(k)
sys.exit(0 if a == b else 1)
PYEOF
done

for bad in "--gemm 0,1,1" "--gemm 1,131072,1" "--gemm 1,2" "--gemm 1,2,3 --array 3x4" \
           "--gemm 1,2,3 --array 4x257" "--gemm 1,2,3 --array 4x" "--gemm 1,2,3 --dataflow is" \
           "--gemm 1,2,3 --mode slow" "--gemm a,b,c" "--array 4x4" "--gemm 1,2,3 --clock-mhz 0"; do
    exits 2 "$TITAN" tpu $bad || fail "titan tpu $bad exits 2"
done
echo "tpu gemm ok"
