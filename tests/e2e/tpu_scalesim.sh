#!/usr/bin/env bash
# tpu_scalesim.sh: `titan tpu --scalesim` matches SCALE-Sim v2's compute-side
# counts as rebuilt from its demand matrices (tests/ref/scalesim_ref.py) on
# square and non-square arrays, shapes that do not divide the array, ws and os.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
$PY -c "import numpy" 2>/dev/null || skip "no numpy (tools/install-deps.sh --test)"
RANDOM=7
for i in $(seq 1 10); do
    df=$([ $((i % 2)) = 0 ] && echo ws || echo os)
    R=$((4 + RANDOM % 13)) C=$((4 + RANDOM % 13))
    M=$((1 + RANDOM % 50)) K=$((1 + RANDOM % 50)) N=$((1 + RANDOM % 50))
    ref=$($PY tests/ref/scalesim_ref.py $df $R $C $M $K $N) || fail "reference"
    got=$("$TITAN" tpu --gemm $M,$K,$N --array ${R}x$C --dataflow $df --scalesim \
          --no-values --json) || fail "titan tpu $df $R $C $M $K $N"
    $PY - "$ref" "$got" <<'PYEOF' || fail "$df ${R}x$C gemm $M,$K,$N: $ref vs $got"
import json, sys
ref, got = (json.loads(s) for s in sys.argv[1:3])
sys.exit(0 if ref and all(got[k] == v for k, v in ref.items()) else 1)
PYEOF
done
echo "tpu scalesim ok"
