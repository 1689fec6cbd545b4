#!/usr/bin/env bash
# xenith_config.sh: SPEC section 9's config through the tools.
#  - titan plan --preset xenith-full --ctx 262144 --json gives every number of
#    section 9's table exactly, and xenith-mini-cpu its figures.
#  - titan init refuses xenith-full, saying it would need 653 GB of f32.
#  - A xenith artifact carries its config: titan inspect shows it (--json:
#    the config JSON titan plan --config-out writes), its tensors are those
#    of tests/ref/xenith_ref.py in order, lora_B starts at 0.
#  - titan logits, run and eval run xenith models (one head; cpu and ref, not
#    tpu; no --speculative, no --ttt) (tests/e2e/xenith_logits.sh checks
#    the logits, tests/e2e/xenith_stream.sh eval and run; titan-train trains
#    them: tests/e2e/train_xenith.sh).
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$TITAN" plan --preset xenith-full --ctx 262144 --json >"$T/full.json"
"$TITAN" plan --preset xenith-mini-cpu --json >"$T/mini.json"
"$TITAN" plan --preset xenith-mini-cpu --ctx 100000 --json >"$T/mini_long.json"
/usr/bin/python3 - "$T" <<'PY' || fail "plan counts differ from SPEC section 9"
import json, sys
t = sys.argv[1]
full = json.load(open(t + "/full.json"))
want = {
    "params": {"total": 163338076160, "base": 154907295744, "lora": 8430780416,
               "summarizer": 3506544640, "active_per_token": 41476431872,
               "active_per_token_lora": 2049146880, "main": 151400751104,
               "embedding": 262144000, "lm_head": 262144000, "attention": 10738466816,
               "dense_ffn": 4831838208, "moe": 135306149888, "expert": 75497472,
               "router": 262144},
    "lora": {"attention": 436207616, "dense": 100663296, "routers": 58949632,
             "experts": 7751073792, "summarizer": 83886080},
    "cache": {"attn_entries": 92160, "attn_values": 377487360, "ltm_vectors": 32768,
              "ltm_kv_values": 8589934592, "stm_values": 134217728},
}
bad = [(o, k, full[o][k], v) for o in want for k, v in want[o].items() if full[o][k] != v]
assert full["ctx"] == 262144 and full["weights_bytes"]["f32"] == 4 * 163338076160
mini = json.load(open(t + "/mini.json"))
m = {"total": 25415168, "base": 23394304, "lora": 2020864,
     "active_per_token": 6344960, "active_per_token_lora": 501248}
bad += [("mini", k, mini["params"][k], v) for k, v in m.items() if mini["params"][k] != v]
# the cache does not grow with ctx when every window is bounded
long = json.load(open(t + "/mini_long.json"))
if long["cache"] != mini["cache"] or long["ctx"] != 100000:
    bad.append(("mini cache grows", long["cache"], mini["cache"]))
# and neither does the model's arena; xenith-full is for planning only
if not (isinstance(mini["model_bytes"], int) and mini["model_bytes"] > 0 and
        long["model_bytes"] == mini["model_bytes"] and full["model_bytes"] is None):
    bad.append(("model_bytes", mini["model_bytes"], long["model_bytes"], full["model_bytes"]))
for b in bad:
    print("differs:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
has 'xenith: 163338076160 parameters' "$TITAN" plan --preset xenith-full

exits 1 "$TITAN" init --preset xenith-full -o "$T/f.tart"
grep -q '653 GB of f32' <<<"$stderr" || fail "init xenith-full: $stderr"
[ ! -e "$T/f.tart" ] || fail "init xenith-full wrote a file"

cat >"$T/small.json" <<'JSON'
{"family": "xenith", "vocab_size": 300, "d_model": 16, "n_heads": 2, "n_kv_heads": 1,
 "head_dim": 8, "mlp_hidden": 32, "max_seq_len": 64, "n_layers": 2,
 "attn_windows": [4, 0], "n_global_tokens": 2, "moe_experts": 4, "moe_dense_layers": 1,
 "moe_hidden": 8, "lora_rank": 2, "tie_embeddings": false,
 "lora_targets": ["wq", "router", "lm_head", "w_up"], "stm_tokens": 8, "mem_slots": 2,
 "ltm_size": 4, "sum_layers": 1, "sum_heads": 2, "mem_read_layers": [1]}
JSON
"$TITAN" plan --config "$T/small.json" --config-out "$T/written.json" >/dev/null 2>&1
"$TITAN" init --config "$T/small.json" --codec xz -o "$T/s.tart" >/dev/null
has 'family="xenith"' "$TITAN" inspect "$T/s.tart"
has 'blocks.1.experts.3.w_up.lora_B' "$TITAN" inspect "$T/s.tart"
"$TITAN" inspect "$T/s.tart" --json >"$T/inspect.json"
"$TITAN" export "$T/s.tart" --safetensors "$T/s.st" >/dev/null
/usr/bin/python3 - "$T" <<'PY' || fail "inspect --json config or lora_B"
import json, struct, sys
t = sys.argv[1]
got = json.load(open(t + "/inspect.json"))["config"]
assert got == json.load(open(t + "/written.json")), got
raw = open(t + "/s.st", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
for name, v in head.items():
    if name.endswith(".lora_B"):
        a, b = v["data_offsets"]
        assert not any(raw[8 + n + a:8 + n + b]), name
    if name.endswith(".lora_A"):
        a, b = v["data_offsets"]
        assert any(raw[8 + n + a:8 + n + b]), name
PY
# the tensor list, names and shapes in order, is the reference's
/usr/bin/python3 tests/ref/xenith_ref.py --config "$T/small.json" --specs >"$T/ref_specs"
/usr/bin/python3 - "$T" <<'PY' || fail "tensor list differs from tests/ref/xenith_ref.py"
import json, sys
t = sys.argv[1]
got = ["%s %s" % (x["name"], x["shape"]) for x in json.load(open(t + "/inspect.json"))["tensors"]]
want = ["%s %s" % (l.split()[0], json.loads(l.split(None, 1)[1])) for l in open(t + "/ref_specs")]
assert got == want, [(a, b) for a, b in zip(got, want) if a != b][:3] or (len(got), len(want))
PY

echo 1 2 3 >"$T/ids"
"$TITAN" run -m "$T/s.tart" -p hi -n 2 >/dev/null 2>&1 || fail "run a xenith model"
exits 2 "$TITAN" run -m "$T/s.tart" -p hi -n 2 --speculative
grep -q 'xenith' <<<"$stderr" || fail "run --speculative: $stderr"
exits 2 "$TITAN" run -m "$T/s.tart" -p hi -n 2 --backend tpu
grep -q 'xenith' <<<"$stderr" || fail "run --backend tpu: $stderr"
"$TITAN" logits -m "$T/s.tart" --ids "$T/ids" --out "$T/l.bin" >/dev/null 2>&1
exits 2 "$TITAN" logits -m "$T/s.tart" --ids "$T/ids" --head 2 --out "$T/l.bin"
exits 2 "$TITAN" logits -m "$T/s.tart" --ids "$T/ids" --backend tpu --out "$T/l.bin"
head -c 2000 README.md >"$T/text"
"$TITAN" eval -m "$T/s.tart" --text "$T/text" --ctx 32 --stride 16 >/dev/null 2>&1 ||
    fail "eval a xenith model"
exits 2 "$TITAN" eval -m "$T/s.tart" --text "$T/text" --backend tpu
grep -q 'xenith' <<<"$stderr" || fail "eval --backend tpu: $stderr"
exits 2 "$TITAN" eval -m "$T/s.tart" --text "$T/text" --ttt
grep -q 'xenith' <<<"$stderr" || fail "eval --ttt: $stderr"
echo "xenith config ok"
