#!/usr/bin/env bash
# train_xenith.sh: `titan-train train` on a tiny Xenith config (SPEC section
# 9: a window and a full layer, MoE with L_bal and L_z, LoRA r = 2): the loss
# falls over 40 steps, the log carries ce, l_bal, l_z, each MoE layer's
# expert load and the step's forward and backward times; the packed checkpoint evaluates with `titan eval` near the
# trained CE on the training text; --lora-only leaves every base tensor
# bit-identical to its initial value (an lr 0 run of the same seed) and
# moves the adapters. With the segment memory (S = 8 over --seq 32: four
# segments, the FIFO evicting; layer 1 reads) the loss falls too, --val-every
# logs val_loss and val_bpb, titan eval of the packed checkpoint is near the
# trained ce, and the runtime's streaming eval (core/eval_xenith.c) agrees
# with the trainer's forward (titan-train eval) on the same windows to 1e-4.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/tiny_model.sh"
code_split "$T"
cat >"$T/cfg.json" <<'JSON'
{"family": "xenith", "vocab_size": 300, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
 "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 64, "n_layers": 2, "bos_id": 0,
 "attn_windows": [8, 0], "moe_experts": 4, "moe_top_k": 2, "moe_dense_layers": 1,
 "lora_rank": 2}
JSON
cp tests/e2e/lib/xenith_tiny_mem.json "$T/mem.json" # the same with segment memory
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$T/train.txt" -o "$T/tok" >/dev/null ||
    fail "tokenizer"
train() { # NAME FLAGS... (CFG: the config, VAL: --val-every)
    local name=$1; shift
    "$TITAN_TRAIN" train --config "$T/${CFG:-cfg}.json" --tokenizer "$T/tok" \
        --train "$T/train.txt" --val "$T/val.txt" --threads 2 --val-every "${VAL:-0}" \
        --steps 40 --batch 4 --seq 32 --log-every 10 --log "$T/$name.log" \
        -o "$T/$name.ckpt" "$@" >/dev/null || fail "$name: train"
    "$TITAN" pack --ckpt "$T/$name.ckpt" --quant f32 -o "$T/$name.tart" >/dev/null ||
        fail "$name: pack"
    "$TITAN" export "$T/$name.tart" -o "$T/$name.st" >/dev/null || fail "$name: export"
}
train full
train lora --lora-only
train init --lora-only --lr 0
CFG=mem VAL=20 train mem
"$TITAN" eval -m "$T/full.tart" --text "$T/train.txt" --ctx 32 --stride 32 \
    --max-tokens 600 --json >"$T/eval.json" 2>/dev/null || fail "eval"
"$TITAN" eval -m "$T/mem.tart" --text "$T/train.txt" --ctx 32 --stride 32 \
    --max-tokens 600 --json >"$T/mem_eval.json" 2>/dev/null || fail "eval mem"
# the same windows through the runtime's stream and the trainer's forward
"$TITAN" eval -m "$T/mem.tart" --text "$T/val.txt" --ctx 32 --stride 32 \
    --json >"$T/mem_rt.json" 2>/dev/null || fail "runtime eval mem"
"$TITAN_TRAIN" eval "$T/mem.ckpt" --val "$T/val.txt" --ctx 32 --stride 32 \
    --json >"$T/mem_tr.json" 2>/dev/null || fail "trainer eval mem"
/usr/bin/python3 - "$T" <<'PY' || fail "xenith training"
import json, struct, sys
d = sys.argv[1]
def rows(name):
    return [json.loads(l) for l in open("%s/%s.log" % (d, name))]
def tensors(name):
    raw = open("%s/%s.st" % (d, name), "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    return {k: raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]
            for k, v in head.items() if k != "__metadata__"}
full, lora = rows("full"), rows("lora")
ev = json.load(open(d + "/eval.json"))
print("full: loss %.4f -> %.4f, ce %.4f, l_bal %.4f, l_z %.4f, load %s; eval %.4f" % (
    full[0]["loss"], full[-1]["loss"], full[-1]["ce"], full[-1]["l_bal"],
    full[-1]["l_z"], full[-1]["expert_load"], ev["val_loss"]))
print("lora-only: loss %.4f -> %.4f" % (lora[0]["loss"], lora[-1]["loss"]))
assert full[-1]["loss"] < 0.5 * full[0]["loss"], "loss falls"
assert lora[-1]["loss"] < lora[0]["loss"], "lora-only loss falls"
for r in full:
    assert r["loss"] > r["ce"] > 0 and r["l_bal"] > 0 and r["l_z"] > 0
    assert len(r["expert_load"]) == 1 and len(r["expert_load"][0]) == 4
    assert abs(sum(r["expert_load"][0]) - 1) < 1e-3
    assert r["t_fwd_ms"] > 0 and r["t_bwd_ms"] > 0, "forward and backward timed"
assert abs(ev["val_loss"] - full[-1]["ce"]) < 0.5, "titan eval near the trained ce"
a, b = tensors("lora"), tensors("init")
base = [k for k in a if ".lora_" not in k]
moved = [k for k in a if ".lora_" in k and a[k] != b[k]]
assert base and all(a[k] == b[k] for k in base), "a base tensor changed"
assert moved, "no adapter moved"
print("lora-only: %d base tensors bit-identical, %d adapters moved" % (len(base), len(moved)))
mem = rows("mem")
mev = json.load(open(d + "/mem_eval.json"))
rt, tr = json.load(open(d + "/mem_rt.json")), json.load(open(d + "/mem_tr.json"))
vals = [r for r in mem if "val_loss" in r]
print("memory: loss %s; val_loss %s; eval %.4f" % (
    " ".join("%.3f" % r["loss"] for r in mem),
    " ".join("%d:%.4f" % (r["step"], r["val_loss"]) for r in vals), mev["val_loss"]))
print("memory, val.txt windows: runtime %.7f trainer %.7f (%d windows)" % (
    rt["val_loss"], tr["val_loss"], rt["windows"]))
assert mem[-1]["loss"] < 0.5 * mem[0]["loss"], "memory: loss falls"
assert [r["step"] for r in vals] == [20, 40], "val_loss at steps 20 and 40"
assert all(r["val_bpb"] > 0 and r["val_loss"] > 0 for r in vals)
assert abs(mev["val_loss"] - mem[-1]["ce"]) < 0.5, "memory: titan eval near the ce"
assert rt["windows"] == tr["windows"] and rt["windows"] > 1
assert abs(rt["val_loss"] - tr["val_loss"]) <= 1e-4 * abs(tr["val_loss"]), \
    "runtime stream == trainer forward"
assert abs(vals[-1]["val_loss"] - tr["val_loss"]) <= 1e-4 * tr["val_loss"], \
    "the log's last val_loss is titan-train eval's"
PY
echo "train xenith ok"
