#!/usr/bin/env bash
# tpu_model.sh: `titan tpu -m ART` runs a whole model's forward pass on the
# emulator: one counter row per weight tensor, totals that add up, and the
# cycle-stepped array agreeing with the fast mode on every counter.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
"$TITAN" init --preset nano --seed 3 -o "$dir/nano.art" >/dev/null || fail "init nano"

fast=$("$TITAN" tpu -m "$dir/nano.art" --tokens 4 --array 16x8 --json) || fail "tpu -m fast"
step=$("$TITAN" tpu -m "$dir/nano.art" --tokens 4 --array 16x8 --mode cycle --json) || fail "tpu -m cycle"
$PY - "$fast" "$step" <<'PYEOF' || fail "model report"
import json, sys
fast, step = (json.loads(s)["tpu"] for s in sys.argv[1:3])
layers = fast["layers"]
# nano: B = 2 blocks x 7 matmuls (wq_a wq_b wkv_a wo w_gate w_up w_down) + tied head.
assert len(layers) == 15, len(layers)
assert fast["total"]["gemms"] == 2 * 2 * 7 + 1
for key in ("macs", "cycles", "weight_reads", "input_reads", "output_writes", "offchip_bytes"):
    assert sum(l[key] for l in layers) == fast["total"][key], key
head = [l for l in layers if l["name"] == "tok_emb"][0]
assert head["macs"] == 1 * 1024 * 128           # logits of the last token
down = [l for l in layers if l["name"] == "blocks.1.w_down"][0]
assert down["macs"] == 2 * 4 * 128 * 384        # R = 2 passes, 4 tokens
for a, b in zip(layers, step["layers"]):
    assert a["name"] == b["name"]
    for key in a:
        if key != "name":
            assert a[key] == b[key], (a["name"], key)
assert fast["total"]["refused"] == 0
PYEOF

has "^total" "$TITAN" tpu -m "$dir/nano.art" --tokens 2 || fail "text table"
exits 2 "$TITAN" tpu -m "$dir/nano.art" --tokens 0 || fail "--tokens 0 exits 2"
exits 2 "$TITAN" tpu -m "$dir/nano.art" --tokens 5000 || fail "tokens > max_seq_len exits 2"
exits 2 "$TITAN" tpu -m "$dir/nano.art" --gemm 1,2,3 || fail "-m with --gemm exits 2"
exits 1 "$TITAN" tpu -m "$dir/missing.art" || fail "missing artifact exits 1"
head -c 1000 "$dir/nano.art" > "$dir/cut.art"
exits 1 "$TITAN" tpu -m "$dir/cut.art" || fail "truncated artifact exits 1"
echo "tpu model ok"
