#!/usr/bin/env bash
# bench_train.sh [STEPS] [REPEATS]: training tokens/s of titan-train against
# PyTorch (tools/bench/bench_train_torch.py) on the same configs, batch (8),
# sequence length (256) and 2 threads, in interleaved repeats (titan, torch,
# next config, ...; medians): the 3.6M-parameter config below, the nano preset
# and the golf-cpu preset (their max_seq_len raised to 257 for --seq 256).
# Each rate is also given as a share of the two-thread fp32 FMA peak
# (build/bench/bench_fma, best of the measurements between repeats), twice:
# counting 6 x params x tokens, and counting the products a step executes,
# 6 x matmul_weights_per_token (titan plan: a block's matrices once per use
# in the schedule, every head) x tokens; both plus attention (6 (Dq + Dv) H
# flops per key, a query seeing (T + 1) / 2 keys on average, per effective
# layer). Weight sharing (B blocks applied R times) and the heads make the
# second count larger: the hardware's share is the second. PyTorch must
# run on OpenBLAS (mapped in its process, and a 512^3 GEMM above 15 GFLOP/s):
# otherwise no ratio is printed. Run alone on a quiet machine: the numbers are
# wall-clock rates. The PyTorch side is written for speed (torch_nano_fast.py,
# torch_golf_fast.py); a config it has no fast form for runs the clarity-first
# reference, whose rate is shown and ratio is not.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=${1:-6}
repeats=${2:-3}
BUILD=${BUILD:-build}
for b in titan-train bench/bench_fma; do
    [ -x "$BUILD/$b" ] || { echo "bench_train: $BUILD/$b is not built (make bench builds it)" >&2
                           exit 1; }
done
seq=256
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
c = {"vocab_size": 1024, "d_model": 256, "n_heads": 4, "n_kv_heads": 2, "head_dim": 32,
     "v_head_dim": 32, "rope_dim": 16, "q_latent": 128, "kv_latent": 64, "mlp_hidden": 768,
     "conv_kernel": 3, "n_unique_blocks": 4, "n_recurrences": 2, "max_seq_len": 1024,
     "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 1024, "yarn_beta_fast": 32.0,
     "yarn_beta_slow": 1.0, "mtp_heads": 3, "mtp_weights": [1.0, 0.3, 0.1], "norm_eps": 1e-5,
     "logit_softcap": 0.0}
json.dump(c, open(w + "/3.6M.json", "w"))
for name in ("nano", "golf-cpu"):
    p = json.load(open("tools/configs/%s.json" % name))
    p["max_seq_len"] = max(p["max_seq_len"], 257)
    json.dump(p, open("%s/%s.json" % (w, name), "w"))
PY
configs=(3.6M nano golf-cpu)
for i in $(seq 1 3000); do echo "line $i: the quick brown fox $((i * 7919 % 1000)) jumps"; done >"$work/text"
"$BUILD/titan-train" tokenizer --vocab 1024 -i "$work/text" -o "$work/tok" >/dev/null
read -r _ blas_lib _ blas_gf < <(/usr/bin/python3 tools/bench/bench_train_torch.py --blas)
echo "pytorch BLAS: $blas_lib, 512^3 GEMM $blas_gf GFLOP/s"
openblas=$(/usr/bin/python3 -c "import sys; print(int('openblas' in sys.argv[1].lower() and float(sys.argv[2]) > 15))" "$blas_lib" "$blas_gf")
[ "$openblas" = 1 ] || echo "PyTorch does not run on OpenBLAS (install libopenblas0-pthread): no ratios"
# titan CONFIG: titan-train's median tokens/s over the steps after the first.
titan() {
    rm -f "$work/log"
    "$BUILD/titan-train" train --config "$work/$1.json" --tokenizer "$work/tok" \
        --train "$work/text" --val "$work/text" -o "$work/ckpt" --steps $((steps + 1)) \
        --batch 8 --seq $seq --threads 2 --val-every 0 --log-every 1 --log "$work/log" >/dev/null 2>&1
    /usr/bin/python3 -c "import json,sys; r=sorted(json.loads(l)['tokens_per_s'] for l in open(sys.argv[1]))[:-1]; print(r[len(r)//2])" "$work/log"
}
"$BUILD/bench/bench_fma" | awk '{print $3}' >"$work/peak"
for r in $(seq 1 "$repeats"); do
    for c in "${configs[@]}"; do
        titan "$c" >>"$work/titan.$c"
        /usr/bin/python3 tools/bench/bench_train_torch.py "$work/$c.json" 8 $seq "$steps" |
            awk -v f="$work/reference.$c" '{print $2} $3 == "reference" {print "" >f}' >>"$work/torch.$c"
    done
    "$BUILD/bench/bench_fma" | awk '{print $3}' >>"$work/peak"
done
/usr/bin/python3 - "$work" "$openblas" "$seq" "$BUILD" "${configs[@]}" <<'PY'
import json, os, statistics, subprocess, sys
w, openblas, T, build, names = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4], sys.argv[5:]
peak = max(float(x) for x in open(w + "/peak"))
print("two-thread fp32 FMA peak: %.1f GFLOP/s (best of %d measurements)" %
      (peak, len(open(w + "/peak").readlines())))
print("%-9s %9s %13s %13s %7s %11s %11s" % ("config", "params", "titan tok/s", "torch tok/s",
                                             "ratio", "peak (6N)", "executed"))
for n in names:
    plan = json.loads(subprocess.run([build + "/titan", "plan", "--config", "%s/%s.json" % (w, n),
                                      "--json"], capture_output=True, text=True).stdout)
    c = plan["config"]
    dq = c["head_dim"] + (c["rope_dim"] if c.get("attention", "mla") == "mla" else 0)
    attn = 6 * (dq + c["v_head_dim"]) * c["n_heads"] * (T + 1) / 2 * plan["layers"]
    flops = 6 * plan["params"] + attn
    executed = 6 * plan["matmul_weights_per_token"] + attn
    med = lambda f: statistics.median(float(x) for x in open(f))
    t, p = med("%s/titan.%s" % (w, n)), med("%s/torch.%s" % (w, n))
    baseline = openblas and not os.path.exists("%s/reference.%s" % (w, n))
    ratio = "%.2fx" % (t / p) if baseline else "-"
    print("%-9s %9d %13.0f %13.0f %7s %10.1f%% %10.1f%%" % (
        n, plan["params"], t, p, ratio, 100 * t * flops / (peak * 1e9),
        100 * t * executed / (peak * 1e9)))
PY
