#!/usr/bin/env bash
# xenith_export_merge.sh: `titan export ART --safetensors OUT --merge-lora`
# (SPEC section 9, Merge; tools/titan/lora_merge.c, shared with `titan pack
# --merge-lora`).
# - The exported weights and config (lora_rank 0, no adapter tensors) give,
#   through tests/ref/xenith_ref.py, the logits of the unmerged artifact
#   (titan logits) to 1e-5 relative; the merge changed the targets.
# - pack --merge-lora and export --merge-lora write the same tensors.
# - Refusals: a non-xenith model (usage error, exit 2, for export and pack);
#   a xenith model with lora_rank 0 is already merged: exported as it is,
#   with a note.
. "$(dirname "$0")/lib/common.sh"
. tests/e2e/lib/xenith_small.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
xenith_small "$T"
"$TITAN" export "$T/x.tart" --safetensors "$T/mx.st" --merge-lora >/dev/null ||
    fail "export --merge-lora"
for i in $(seq 200); do echo $((i * 37 % 300)); done >"$T/ids" # past windows and segments
"$TITAN" logits -m "$T/x.tart" --ids "$T/ids" --out "$T/lx" >/dev/null
ref --safetensors "$T/mx.st" --config "$T/mx.config.json" --ids "$T/ids" --out "$T/lr"
"$TITAN" pack --safetensors "$T/x.st" --config "$T/x.json" --tokenizer "$T/tok.tok" \
    --quant f32 --merge-lora -o "$T/m.tart" >/dev/null || fail "pack --merge-lora"
"$TITAN" export "$T/m.tart" --safetensors "$T/pm.st" >/dev/null
/usr/bin/python3 - "$T" <<'PY' || fail "export --merge-lora"
import json, sys
import numpy as np
sys.path.insert(0, "tests/ref")
from golf_ref import read_safetensors
t = sys.argv[1]
cfg = json.load(open(t + "/mx.config.json"))
W, X, P = (read_safetensors(t + f) for f in ("/mx.st", "/x.st", "/pm.st"))
assert cfg["lora_rank"] == 0 and not [n for n in W if "lora_" in n], (cfg, list(W))
assert set(W) == {n for n in X if "lora_" not in n}, sorted(W)
changed = [n for n in W if not np.array_equal(W[n].numpy(), X[n].numpy())]
assert changed and all(n + ".lora_A" in X for n in changed), changed
same = all(np.array_equal(W[n].numpy(), P[n].numpy()) for n in W) and set(W) == set(P)
a = np.fromfile(t + "/lx", "<f4").astype(np.float64)
b = np.fromfile(t + "/lr", "<f4").astype(np.float64)
err = np.abs(a - b).max() / np.abs(a).max()
print("export --merge-lora: %d tensors (%d targets merged), reference logits of the merged "
      "export vs titan's unmerged: rel %.1e; pack --merge-lora's tensors %s"
      % (len(W), len(changed), err, "equal" if same else "DIFFER"))
sys.exit(0 if a.size == b.size and np.isfinite(b).all() and err <= 1e-5 and same else 1)
PY
# Refusals and the already-merged case.
"$TITAN" init --preset nano -o "$T/nano.tart" >/dev/null
exits 2 "$TITAN" export "$T/nano.tart" --safetensors "$T/n.st" --merge-lora ||
    fail "export --merge-lora of a non-xenith model"
grep -q "not a xenith model" <<<"$stderr" || fail "export refusal says: $stderr"
[ ! -e "$T/n.st" ] || fail "a refused export wrote its output"
"$TITAN" export "$T/nano.tart" --safetensors "$T/n.st" >/dev/null
exits 2 "$TITAN" pack --safetensors "$T/n.st" --config "$T/n.config.json" \
    --tokenizer "$T/n.tok" --merge-lora -o "$T/n2.tart" || fail "pack --merge-lora of nano"
grep -q "not a xenith model" <<<"$stderr" || fail "pack refusal says: $stderr"
exits 0 "$TITAN" export "$T/m.tart" --safetensors "$T/again.st" --merge-lora ||
    fail "export --merge-lora of a merged model"
grep -q "lora_rank is 0, nothing to merge" <<<"$stderr" || fail "no note: $stderr"
cmp -s "$T/again.st" "$T/pm.st" || fail "re-merging a merged model changed it"
echo "xenith export merge ok"
