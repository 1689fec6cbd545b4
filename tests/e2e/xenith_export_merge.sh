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
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "python3-torch not installed"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/x.json" <<'JSON'
{"family": "xenith", "vocab_size": 300, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
 "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 16, "n_layers": 3, "attn_windows": [3, 5, 4],
 "n_global_tokens": 2, "moe_experts": 4, "moe_top_k": 2, "moe_dense_layers": 1,
 "moe_hidden": 8, "lora_rank": 2, "lora_alpha": 4.0, "tie_embeddings": false,
 "lora_targets": ["wq", "wv", "router", "w_up", "w_down", "lm_head"],
 "stm_tokens": 6, "mem_slots": 2, "ltm_size": 3, "sum_layers": 1, "sum_heads": 2,
 "mem_read_layers": [0, 2]}
JSON
ref() { /usr/bin/python3 tests/ref/xenith_ref.py "$@"; }
ref --config "$T/x.json" --write-weights "$T/x.st" --seed 3
"$TITAN" init --config "$T/x.json" -o "$T/tok.tart" >/dev/null
"$TITAN" export "$T/tok.tart" --safetensors "$T/tok.st" >/dev/null
"$TITAN" pack --safetensors "$T/x.st" --config "$T/x.json" --tokenizer "$T/tok.tok" \
    --quant f32 -o "$T/x.tart" >/dev/null
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
