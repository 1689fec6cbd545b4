#!/usr/bin/env bash
# train_mpi.sh: titan-train-mpi (Open MPI) on localhost. --deterministic: 1, 2
# and 3 ranks end with the training state of titan-train (same global batch,
# seed, data) bit for bit, validation (windows sharded over the ranks) too;
# without it, weights within 1e-5 relative after 50 steps. A rank killed with
# SIGKILL ends the job non-zero within seconds; its last checkpoint, resumed
# on another number of ranks, ends bit-identical to an uninterrupted run. The
# log has the step-time split; SIGTERM to a rank stops the job with a
# checkpoint; a batch the ranks cannot split exits 2. A xenith model trains
# on 1 and 2 ranks to titan-train's state bit for bit.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
MPI=${TITAN_TRAIN_MPI:-$BUILD/titan-train-mpi}
command -v mpirun >/dev/null || skip "no mpirun (tools/install-deps.sh --test installs Open MPI)"
[ -x "$MPI" ] || fail "$MPI not built, though mpirun is installed"
work=$(mktemp -d); trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Open MPI's own allocations stay until exit: no leak check for its ranks
mpi_asan=detect_leaks=0:abort_on_error=1
ranks() {
    local n=$1
    shift
    ASAN_OPTIONS=$mpi_asan mpirun --oversubscribe -np "$n" "$MPI" "$@"
}
code_split "$work"
tiny_ckpt "$work" "$work/train.txt" "$work/val.txt" --steps 1 --seq 16 || fail "tiny model"
args=(--config "$work/cfg.json" --tokenizer "$work/tok" --train "$work/train.txt"
      --val "$work/val.txt" --batch 6 --seq 16 --threads 1 --seed 3 --ckpt-minutes 0
      --val-tokens 300 --val-stride 5)
same() { /usr/bin/python3 tests/e2e/lib/same_ckpt.py "$@"; }
best_val() { grep -ao '"best_val\\":[0-9.e+-]*' "$1"; }

# --deterministic: any ranks and threads give titan-train --threads 6's bits
det=("${args[@]}" --deterministic --steps 12 --val-every 6 --log-every 3)
"$TITAN_TRAIN" train "${det[@]}" --threads 6 -o "$work/s.ckpt" >/dev/null || fail "titan-train"
for n in 1 2 3; do
    ranks "$n" train "${det[@]}" -o "$work/d$n.ckpt" --log "$work/d$n.jsonl" >/dev/null ||
        fail "$n ranks"
    same "$work/s.ckpt" "$work/d$n.ckpt" || fail "$n ranks: not titan-train's state"
    [ "$(best_val "$work/d$n.ckpt")" = "$(best_val "$work/s.ckpt")" ] ||
        fail "$n ranks: val_bpb $(best_val "$work/d$n.ckpt") != $(best_val "$work/s.ckpt")"
done
/usr/bin/python3 - "$work/d2.jsonl" <<'PY' || fail "step-time split in the log"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["step"] for r in rows] == [3, 6, 9, 12]
for r in rows:
    assert r["ranks"] == 2
    for k in ("t_compute_ms", "t_reduce_ms", "t_muon_ms", "t_gather_ms"):
        assert r[k] >= 0 and r[k] == r[k], k
assert sum(r["t_gather_ms"] for r in rows) > 0
PY

# eval: windows shared over the ranks, val_bpb bit-identical to one process
# and to the training log's validation of the same weights
ev=(--val "$work/val.txt" --ctx 16 --stride 5 --max-tokens 300 --weights raw --json)
"$TITAN_TRAIN" eval "$work/s.ckpt" "${ev[@]}" >"$work/e0.json" || fail "titan-train eval"
for n in 1 2 3; do
    ranks "$n" eval "$work/s.ckpt" "${ev[@]}" | sed "s/\"ranks\": $n/\"ranks\": 1/" \
        >"$work/e$n.json" || fail "eval on $n ranks"
    cmp "$work/e0.json" "$work/e$n.json" || fail "eval on $n ranks: $(cat "$work/e$n.json")"
done
/usr/bin/python3 - "$work/d1.jsonl" "$work/e0.json" <<'PY' || fail "eval is not the log's val_bpb"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]["val_bpb"]
ev = json.load(open(sys.argv[2]))["val_bpb"]
assert "%.6f" % ev == "%.6f" % last, (ev, last)
PY

# A xenith model (SPEC section 9: windows, MoE with L_bal and L_z, LoRA, the
# segment memory): 1 and 2 ranks end with titan-train's state bit for bit too.
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/xtok" >/dev/null ||
    fail "xenith tokenizer"
xargs=(--config tests/e2e/lib/xenith_tiny_mem.json --tokenizer "$work/xtok" --train "$work/train.txt"
       --val "$work/val.txt" --batch 4 --seq 32 --seed 3 --steps 12 --val-every 6
       --val-tokens 300 --deterministic --ckpt-minutes 0)
"$TITAN_TRAIN" train "${xargs[@]}" --threads 4 -o "$work/xs.ckpt" >/dev/null ||
    fail "titan-train, xenith"
for n in 1 2; do
    ranks "$n" train "${xargs[@]}" --threads 1 -o "$work/x$n.ckpt" >/dev/null ||
        fail "$n ranks, xenith"
    same "$work/xs.ckpt" "$work/x$n.ckpt" || fail "$n ranks, xenith: not titan-train's state"
done

# MPI_Allreduce: the same weights within 1e-5 relative after 50 steps (at
# --lr 0.25: at the full rate the tiny model amplifies rounding to ~2e-5, as
# titan-train does between --threads 1 and 2)
fast=("${args[@]}" --steps 50 --val-every 0 --lr 0.25)
for n in 1 2 3; do
    ranks "$n" train "${fast[@]}" -o "$work/f$n.ckpt" >/dev/null || fail "$n ranks, fast"
    "$TITAN_TRAIN" export "$work/f$n.ckpt" -o "$work/f$n.st" >/dev/null
done
for n in 2 3; do
    /usr/bin/python3 - "$work/f1.st" "$work/f$n.st" <<'PY' || fail "$n ranks: weights differ"
import json, math, struct, sys
def load(p):
    raw = open(p, "rb").read()
    (n,) = struct.unpack_from("<Q", raw, 0)
    head = json.loads(raw[8:8 + n]); head.pop("__metadata__", None)
    return [x for k in sorted(head) for x in struct.unpack_from(
        "<%df" % ((head[k]["data_offsets"][1] - head[k]["data_offsets"][0]) // 4),
        raw, 8 + n + head[k]["data_offsets"][0])]
a, b = load(sys.argv[1]), load(sys.argv[2])
diff = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
norm = math.sqrt(sum(x * x for x in a))
rel = diff / norm
print("relative difference %.3g" % rel)
assert rel <= 1e-5, rel   # NaN fails too
PY
done

# SIGKILL of one rank: the job ends non-zero at once; resumed on 3 ranks,
# then on 1, the run ends as the uninterrupted 2-rank one
long=("${args[@]}" --deterministic --steps 80 --val-every 0 --log-every 5 --ckpt-every 10)
ranks 2 train "${long[@]}" -o "$work/u.ckpt" >/dev/null || fail "uninterrupted"
ASAN_OPTIONS=$mpi_asan mpirun -np 2 "$MPI" train "${long[@]}" -o "$work/k.ckpt" \
    --log "$work/k.jsonl" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1500); do
    [ -f "$work/k.jsonl" ] && [ "$(wc -l <"$work/k.jsonl")" -ge 3 ] && break
    sleep 0.02
done
victim=$(ps -o pid= --ppid $pid | tail -n 1 | tr -d " ")
[ -n "$victim" ] && [ "$(ps -o comm= -p "$victim")" = titan-train-mpi ] ||
    fail "no rank to kill among mpirun's children: $(ps -o pid=,comm= --ppid $pid)"
kill -9 $victim
t0=$(date +%s)
for _ in $(seq 1 500); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
kill -0 $pid 2>/dev/null && fail "the job still runs 10 s after a rank was killed"
rc=0; wait $pid || rc=$?
[ "$rc" != 0 ] || fail "the job exited 0 after a rank was killed"
echo "job ended $(($(date +%s) - t0)) s after the kill, exit $rc"
[ -f "$work/k.ckpt" ] || fail "no checkpoint before the kill"
cp "$work/k.ckpt" "$work/k1.ckpt"
ranks 3 train --resume "$work/k.ckpt" >/dev/null ||
    fail "resume on 3 ranks"
same "$work/u.ckpt" "$work/k.ckpt" || fail "resumed on 3 ranks: not the uninterrupted run"
ranks 1 train --resume "$work/k1.ckpt" >/dev/null ||
    fail "resume on 1 rank"
same "$work/u.ckpt" "$work/k1.ckpt" || fail "resumed on 1 rank: not the uninterrupted run"

# SIGTERM to one rank stops them all after the same step: rank 0 writes the
# checkpoint, exit 143
ASAN_OPTIONS=$mpi_asan mpirun -np 2 "$MPI" train "${long[@]}" --steps 100000 \
    -o "$work/t.ckpt" --log "$work/t.jsonl" >"$work/t.out" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do
    [ -f "$work/t.jsonl" ] && [ "$(wc -l <"$work/t.jsonl")" -ge 1 ] && break
    sleep 0.02
done
kill -TERM "$(ps -o pid= --ppid $pid | tail -n 1 | tr -d " ")"
rc=0; wait $pid || rc=$?
[ "$rc" = 143 ] || fail "SIGTERM to a rank: exit $rc, want 143"
grep -q "terminated (SIGTERM)" "$work/t.out" || fail "no stop message: $(tail -3 "$work/t.out")"
"$TITAN_TRAIN" export "$work/t.ckpt" -o "$work/t.st" >/dev/null || fail "checkpoint after SIGTERM"

ASAN_OPTIONS=$mpi_asan exits 2 mpirun -np 4 "$MPI" train "${args[@]}" -o "$work/x.ckpt" ||
    fail "--batch 6 on 4 ranks should exit 2"
echo "train_mpi: ok"
