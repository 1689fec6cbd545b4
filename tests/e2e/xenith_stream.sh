#!/usr/bin/env bash
# xenith_stream.sh: `titan eval` and `titan run` on xenith models (SPEC
# section 9; issue 24), cpu and ref backends, one token a step.
# - eval --text without --ctx scores the whole stream in one window: its NLL
#   sum equals the sum of -ln softmax over `titan logits` of BOS + the text's
#   ids (1e-6 relative); with --ctx/--stride every window is a new stream, so
#   the sum equals the windows' logits, each its own `titan logits` call,
#   scored as SPEC section 3 says.
# - run --greedy: each generated token is the argmax of the logits of the
#   stream so far (prompt + output), checked by one `titan logits` call.
# Weights: tests/ref/xenith_ref.py's random ones (lora_B too), so the greedy
# chain varies; windows, global tokens, MoE, adapters and memory all on.
. "$(dirname "$0")/lib/common.sh"
. tests/e2e/lib/xenith_small.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
xenith_small "$T"
head -c 700 README.md >"$T/text"
bos=$("$TITAN" inspect "$T/x.tart" --json |
    /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["config"]["bos_id"])')
{ echo "$bos"; "$TITAN" tokenize -m "$T/x.tart" -f "$T/text"; } >"$T/seq"
n=$(wc -w <"$T/seq")
[ "$n" -gt 100 ] || fail "the text gave only $n tokens"
head -c 200 README.md >"$T/short"

# check_eval BE ARGS...: eval's NLL sum equals the logits' (windows as section 3).
check_eval() {
    local be=$1 ctx=$2 stride=$3 args=()
    [ "$ctx" = 0 ] || args=(--ctx "$ctx" --stride "$stride")
    "$TITAN" eval -m "$T/x.tart" --text "$T/text" --backend "$be" --json "${args[@]}" \
        >"$T/eval.json" || fail "eval --backend $be ${args[*]}"
    /usr/bin/python3 - "$T" "$TITAN" "$be" "$ctx" "$stride" <<'PY' ||
import json, subprocess, sys
import numpy as np
t, titan, be, ctx, stride = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
seq = [int(x) for x in open(t + "/seq").read().split()]
N = len(seq) - 1
ctx, stride = (N, N) if ctx == 0 else (ctx, stride)
def nll(ids):  # -ln p(ids[j + 1] | ids[..j]) of one stream, from titan logits
    open(t + "/ids", "w").write(" ".join(map(str, ids)))
    subprocess.run([titan, "logits", "-m", t + "/x.tart", "--ids", t + "/ids", "--backend", be,
                    "--out", t + "/l"], check=True, stdout=subprocess.DEVNULL)
    l = np.fromfile(t + "/l", "<f4").astype(np.float64).reshape(len(ids), -1)[:-1]
    m = l.max(1)
    return m + np.log(np.exp(l - m[:, None]).sum(1)) - l[np.arange(len(ids) - 1), ids[1:]]
total, w, scored = 0.0, 0, 0
while True:  # SPEC section 3's windows: each scores the targets no earlier one did
    win = seq[w:w + ctx + 1]
    v = nll(win)
    first = 0 if w == 0 else ctx - stride
    total += v[first:].sum()
    scored += len(v) - first
    if w + ctx >= N:
        break
    w += stride
got = json.load(open(t + "/eval.json"))
err = abs(got["nll"] - total) / abs(total)
print("eval %s ctx %d stride %d: nll %.9g, logits %.9g, rel %.1e (%d targets, %d tokens/s)"
      % (be, ctx, stride, got["nll"], total, err, scored, got["tokens_per_s"]))
sys.exit(0 if got["tokens"] == N == scored and err <= 1e-6 else 1)
PY
        fail "eval --backend $be ctx $ctx stride $stride differs from titan logits"
}
for be in cpu ref; do
    check_eval $be 0 0
    check_eval $be 60 25
done

# run --greedy: the argmax chain of the logits.
for be in cpu ref; do
    "$TITAN" run -m "$T/x.tart" -f "$T/short" -n 40 --greedy --json --backend $be \
        >"$T/run.json" || fail "run --backend $be"
    { echo "$bos"; "$TITAN" tokenize -m "$T/x.tart" -f "$T/short"; } >"$T/prompt"
    /usr/bin/python3 - "$T" "$TITAN" "$be" <<'PY' || fail "run --greedy --backend $be is not the argmax chain"
import json, subprocess, sys
import numpy as np
t, titan, be = sys.argv[1:4]
prompt = [int(x) for x in open(t + "/prompt").read().split()]
out = json.load(open(t + "/run.json"))
ids = out["ids"]
assert out["tokens"] == len(ids) and out["stop_reason"] in ("length", "bos"), out
stream = prompt + ids
open(t + "/ids", "w").write(" ".join(map(str, stream)))
subprocess.run([titan, "logits", "-m", t + "/x.tart", "--ids", t + "/ids", "--backend", be,
                "--out", t + "/l"], check=True, stdout=subprocess.DEVNULL)
l = np.fromfile(t + "/l", "<f4").reshape(len(stream), -1)
want = [int(v) for v in l[len(prompt) - 1:-1].argmax(1)]
if out["stop_reason"] == "bos":  # the model chose BOS next: generation stopped there
    want.append(int(l[-1].argmax()))
    ids = ids + [prompt[0]]
print("run %s: %d greedy tokens (%d distinct), argmax chain %s" %
      (be, len(ids), len(set(ids)), "ok" if want == ids else "DIFFERS"))
sys.exit(0 if want == ids and len(set(ids)) > 1 else 1)
PY
done
# pack --merge-lora (section 9, Merge): no adapter tensors, lora_rank 0, and
# logits of the 700-token stream equal the unmerged artifact's to 1e-5.
"$TITAN" pack --safetensors "$T/x.st" --config "$T/x.json" --tokenizer "$T/tok.tok" \
    --quant f32 --merge-lora -o "$T/m.tart" >/dev/null || fail "pack --merge-lora"
"$TITAN" inspect "$T/m.tart" --json >"$T/m.json"
"$TITAN" logits -m "$T/x.tart" --ids "$T/seq" --out "$T/lx" >/dev/null
"$TITAN" logits -m "$T/m.tart" --ids "$T/seq" --out "$T/lm" >/dev/null
/usr/bin/python3 - "$T" <<'PY' || fail "merged logits differ from the unmerged"
import json, sys
import numpy as np
t = sys.argv[1]
info = json.load(open(t + "/m.json"))
names = [x["name"] for x in info["tensors"]]
assert info["config"]["lora_rank"] == 0, info["config"]
assert not [n for n in names if "lora_" in n], names
a = np.fromfile(t + "/lx", "<f4").astype(np.float64)
b = np.fromfile(t + "/lm", "<f4").astype(np.float64)
err = np.abs(a - b).max() / np.abs(a).max()
print("merge-lora: %d tensors, logits rel %.1e" % (len(names), err))
sys.exit(0 if a.size == b.size and np.isfinite(b).all() and err <= 1e-5 else 1)
PY
echo "xenith stream ok"
