#!/usr/bin/env bash
# xenith_plan_bytes.sh: `titan plan` on a xenith config reports its weights'
# bytes under each --quant policy (f32, bf16, int8, int6, mixed; SPEC section
# 9: arena bytes follow from storage types): each equals the sum of the
# stored_bytes `titan inspect` gives for the artifact `titan pack --quant`
# writes (values, per-row scales, adapters and norms kept float), and the
# JSON and text outputs agree.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp tests/e2e/lib/xenith_small.json "$T/x.json"
"$TITAN" init --config "$T/x.json" -o "$T/x.tart" >/dev/null
"$TITAN" export "$T/x.tart" --safetensors "$T/x.st" >/dev/null
"$TITAN" plan --config "$T/x.json" --json >"$T/plan.json"
text=$("$TITAN" plan --config "$T/x.json" | grep '^weights')
for q in f32 bf16 int8 int6 mixed; do
    "$TITAN" pack --safetensors "$T/x.st" --config "$T/x.config.json" --tokenizer "$T/x.tok" \
        --quant $q -o "$T/$q.tart" >/dev/null
    "$TITAN" inspect "$T/$q.tart" --json >"$T/$q.json"
    /usr/bin/python3 - "$T" $q "$text" <<'PY' || fail "plan's $q bytes differ from the pack's"
import json, sys
t, q, text = sys.argv[1:4]
plan = json.load(open(t + "/plan.json"))["weights_bytes"][q]
tensors = json.load(open(t + "/%s.json" % q))["tensors"]
stored = sum(x["stored_bytes"] for x in tensors)
print("%-5s plan %d bytes, packed artifact's tensors %d" % (q, plan, stored))
sys.exit(0 if plan == stored and ("%s %d" % (q, plan)) in text else 1)
PY
done
echo "xenith plan bytes ok"
