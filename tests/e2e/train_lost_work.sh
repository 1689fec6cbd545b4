#!/usr/bin/env bash
# train_lost_work.sh: `titan-train train` loses no work and says what it does.
#  - Output paths are checked before anything loads: a checkpoint or log in a
#    missing directory, or a directory as -o, fail at once (exit 1, the path
#    named, no token cache made).
#  - stdout, not a terminal: a line per --log-every step (step, loss, val_bpb
#    when validated, lr, tok/s, times), then a summary and "wrote" lines.
#  - SIGINT and SIGTERM: the step in flight ends, a checkpoint is written,
#    exit 130 / 143; `--resume CKPT` alone then finishes the run, and the log
#    holds every step exactly once; so does a run killed with SIGKILL.
#  - A resumed run refuses a flag that disagrees with its checkpoint (exit 2,
#    the flag named), takes a session flag (--threads), and finds its data
#    from another working directory; with --override the flags given win.
#  - --ckpt-minutes writes checkpoints while it runs; --max-minutes ends the
#    run in time with its warm-down done.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 1 300); do echo "def g$i(y): return y * $i - $((i % 5))  # work line $i"; done >"$T/train.txt"
head -c 2000 "$T/train.txt" >"$T/val.txt"
. "$(dirname "$0")/lib/tiny_model.sh"
tiny_ckpt "$T" "$T/train.txt" "$T/val.txt" --steps 2 --batch 2 --seq 16 || fail "tiny model"
rm -f "$T/train.txt.tok" "$T/val.txt.tok" "$T/m.ckpt"
base=(--config "$T/cfg.json" --tokenizer "$T/tok" --train "$T/train.txt" --val "$T/val.txt"
      --batch 2 --seq 16 --threads 1 --val-tokens 200)

# step N of CKPT's metadata
ckpt_step() {
    /usr/bin/python3 -c 'import json, struct, sys
raw = open(sys.argv[1], "rb").read(); n = struct.unpack_from("<Q", raw)[0]
print(json.loads(raw[8:8 + n])["__metadata__"]["step"])' "$1"
}
# rows_once LOG N: the log has one row for each step 1..N, in order
rows_once() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1])]
assert steps == list(range(1, int(sys.argv[2]) + 1)), (len(steps), steps[:3], steps[-3:])
PY
}
# wait_steps OUT N: until the run $pid printed N step lines to OUT (its
# signal handlers are in place by then); 1 if it ended first or took 60 s
wait_steps() {
    for _ in $(seq 1 1200); do
        [ -f "$1" ] && [ "$(grep -c '^step ' "$1")" -ge "$2" ] && return 0
        kill -0 $pid 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# --- paths first
for bad in "-o $T/nodir/x.ckpt" "-o $T" "-o $T/x.ckpt --log $T/nodir/x.jsonl"; do
    exits 1 "$TITAN_TRAIN" train "${base[@]}" --steps 5 $bad || fail "train $bad exits 1"
    grep -q "cannot write $T" <<<"$stderr" || fail "train $bad: '$stderr' names no path"
    [ ! -e "$T/train.txt.tok" ] || fail "train $bad loaded the data before failing"
done

# --- console lines, summary
"$TITAN_TRAIN" train "${base[@]}" --steps 30 --log-every 10 --val-every 20 -o "$T/a.ckpt" \
    --log "$T/a.jsonl" >"$T/a.out" || fail "short run"
[ "$(grep -c '^step ' "$T/a.out")" = 3 ] || fail "one line per --log-every and validation: $(cat "$T/a.out")"
grep -q '^step 20/30  loss [0-9.]*  val_bpb [0-9.]*  lr [0-9.e+-]*  tok/s [0-9,]*  [0-9:]* elapsed  [0-9:]* left$' \
    "$T/a.out" || fail "step line format: $(grep '^step 20' "$T/a.out")"
grep -q '^done: 30 steps, 960 tokens in .*val_bpb best [0-9.]* at step' "$T/a.out" ||
    fail "summary: $(grep done "$T/a.out")"
grep -q "^wrote $T/a.ckpt: checkpoint at step 30" "$T/a.out" || fail "where the checkpoint is"
grep -q "^wrote $T/a.jsonl: 3 log rows" "$T/a.out" || fail "where the log is"

# --- SIGINT, SIGTERM: a checkpoint, then --resume alone finishes
long=(--steps 400000 --log-every 1 --val-every 0)
for sig in INT TERM; do
    rm -f "$T/s.ckpt" "$T/s.jsonl"
    "$TITAN_TRAIN" train "${base[@]}" "${long[@]}" -o "$T/s.ckpt" --log "$T/s.jsonl" \
        >"$T/s.out" 2>&1 &
    pid=$!
    wait_steps "$T/s.out" 40 || fail "SIG$sig: the run ended early: $(cat "$T/s.out")"
    kill -$sig $pid
    rc=0
    wait $pid || rc=$?
    pid=
    want=$((128 + $(kill -l $sig)))
    [ $rc = $want ] || fail "SIG$sig: exit $rc, want $want: $(tail -3 "$T/s.out")"
    step=$(ckpt_step "$T/s.ckpt") || fail "SIG$sig: no checkpoint"
    [ "$step" -ge 40 ] || fail "SIG$sig: checkpoint at step $step"
    grep -q "^stopped at step $step: " "$T/s.out" || fail "SIG$sig: no stop line"
    grep -q "titan-train train --resume $T/s.ckpt" "$T/s.out" || fail "SIG$sig: no resume hint"
    rows_once "$T/s.jsonl" "$step" || fail "SIG$sig: log rows"
done
# resume alone, from another directory, with a session flag changed
mkdir "$T/elsewhere"
trainer=$(realpath "$TITAN_TRAIN")
(cd "$T/elsewhere" && exec "$trainer" train --resume "$T/s.ckpt" --steps 400000 --threads 2) \
    >"$T/r.out" 2>&1 &
pid=$!
wait_steps "$T/r.out" 30 || fail "resumed run: $(cat "$T/r.out")"
grep -q "^train: resumed $T/s.ckpt at step $step" "$T/r.out" || fail "resume line: $(head -3 "$T/r.out")"
kill -9 $pid # SIGKILL: no checkpoint since the last one
wait $pid 2>/dev/null || true
pid=
"$TITAN_TRAIN" train --resume "$T/s.ckpt" --steps 400000 --max-minutes 0.002 >"$T/r2.out" 2>&1 &&
    fail "--max-minutes differs from the run's and is accepted"
grep -q -- "--max-minutes 0.002: the checkpoint's run has --max-minutes 0" "$T/r2.out" ||
    fail "the refused flag is not named: $(cat "$T/r2.out")"
exits 2 "$TITAN_TRAIN" train --resume "$T/s.ckpt" --lr 0.5 || fail "--lr on resume exits 2"
grep -q -- "--lr" <<<"$stderr" || fail "--lr not named: $stderr"
# --override: the flags given win (a new schedule from the checkpoint's step)
exits 2 "$TITAN_TRAIN" train "${base[@]}" --override -o "$T/o.ckpt" ||
    fail "--override without --resume exits 2"
step=$(ckpt_step "$T/s.ckpt")
"$TITAN_TRAIN" train --resume "$T/s.ckpt" --override --steps $((step + 2)) --lr 0.5 \
    -o "$T/o.ckpt" >/dev/null || fail "--override --steps --lr"
[ "$(ckpt_step "$T/o.ckpt")" = $((step + 2)) ] || fail "--override: not 2 more steps"
exits 2 "$TITAN_TRAIN" train --resume "$T/o.ckpt" --lr 1 || fail "--lr 1 against 0.5"
grep -q -- "--lr 1: the checkpoint's run has --lr 0.5" <<<"$stderr" ||
    fail "--override did not record --lr 0.5: $stderr"
sed 's/"mlp_hidden": 36/"mlp_hidden": 40/' "$T/cfg.json" >"$T/cfg2.json"
exits 2 "$TITAN_TRAIN" train --resume "$T/s.ckpt" --config "$T/cfg2.json" ||
    fail "another --config on resume exits 2"
grep -q -- "--config: differs from the checkpoint's config" <<<"$stderr" || fail "$stderr"
# finish: the same run with fewer steps is refused; the log is cut back
python3=/usr/bin/python3
step=$(ckpt_step "$T/s.ckpt")
$python3 - "$T/s.jsonl" "$step" <<'PY' || fail "the SIGKILLed run logged nothing past the checkpoint"
import json, sys
assert json.loads(open(sys.argv[1]).readlines()[-1])["step"] > int(sys.argv[2])
PY
"$TITAN_TRAIN" train --resume "$T/s.ckpt" --val-tokens 200 >"$T/r3.out" 2>&1 &
pid=$!
wait_steps "$T/r3.out" 20 || fail "second resume: $(cat "$T/r3.out")"
kill -INT $pid
wait $pid || true
pid=
step=$(ckpt_step "$T/s.ckpt")
rows_once "$T/s.jsonl" "$step" || fail "rows after SIGKILL and resume"
grep -q "resumed at step" "$T/r3.out" || fail "summary of a resumed run"

# --- --ckpt-minutes, --max-minutes
"$TITAN_TRAIN" train "${base[@]}" "${long[@]}" --log-every 100 --ckpt-minutes 0.005 \
    --max-minutes 0.03 -o "$T/m.ckpt" --log "$T/m.jsonl" >"$T/m.out" || fail "capped run"
grep -q "^checkpoint $T/m.ckpt at step [0-9]*$" "$T/m.out" || fail "no timed checkpoint: $(cat "$T/m.out")"
grep -q "^stopped at step [0-9]*: the --max-minutes time cap (warm-down done)" "$T/m.out" ||
    fail "cap: $(tail -3 "$T/m.out")"
$python3 - "$T/m.jsonl" <<'PY' || fail "the capped run did not end with its warm-down"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
last = rows[-1]
assert 20 < last["step"] < 400000, last["step"]
assert last["lr_mult"] < 0.2, last
assert max(r["lr_mult"] for r in rows) == 1.0
PY
echo "train: paths first, console lines, signals, resume, time caps ok"
