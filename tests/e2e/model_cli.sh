#!/usr/bin/env bash
# model_cli.sh: titan logits / run / plan on a nano artifact: cpu and ref
# backends agree, speculative greedy output equals plain greedy output, the
# arena is exactly as planned, seeds reproduce, bad input is refused; and the
# logits of every head match tests/ref/titan_ref.py (PyTorch) on the export.
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PY=/usr/bin/python3
"$TITAN" init --preset nano --seed 5 -o "$dir/nano.art" >/dev/null || fail "init"
printf '256 72 101 108 108 111 32\n119 111 114 108 100\n' >"$dir/ids"

# close A B: max |A - B| <= 1e-4 * max |B| for float32 [T][1024] files
close() {
    $PY - "$1" "$2" <<'PYEOF' || fail "logits $1 vs $2"
import sys, numpy as np
a = np.fromfile(sys.argv[1], "<f4").reshape(12, 1024)
b = np.fromfile(sys.argv[2], "<f4").reshape(12, 1024)
err = np.abs(a - b).max() / np.abs(b).max()
print("%s vs %s: relative %.3g" % (sys.argv[1].split("/")[-1], sys.argv[2].split("/")[-1], err))
sys.exit(0 if err <= 1e-4 and np.abs(b).max() > 0 else 1)
PYEOF
}

for k in 1 2; do
    "$TITAN" logits -m "$dir/nano.art" --ids "$dir/ids" --head $k --out "$dir/cpu.$k" \
        || fail "logits head $k"
    "$TITAN" logits -m "$dir/nano.art" --ids "$dir/ids" --head $k --out "$dir/ref.$k" \
        --backend ref || fail "logits ref head $k"
    [ "$(stat -c %s "$dir/cpu.$k")" = $((12 * 1024 * 4)) ] || fail "logits size"
    close "$dir/cpu.$k" "$dir/ref.$k"
done
cmp -s "$dir/cpu.1" "$dir/cpu.2" && fail "heads 1 and 2 identical"

"$TITAN" export "$dir/nano.art" --safetensors "$dir/w.safetensors" >/dev/null || fail "export"
"$TITAN" inspect --json "$dir/nano.art" >"$dir/inspect.json" || fail "inspect --json"
$PY tests/ref/titan_ref.py --safetensors "$dir/w.safetensors" --config "$dir/inspect.json" \
    --ids "$dir/ids" --all-heads "$dir/torch" || fail "titan_ref.py"
for k in 1 2; do close "$dir/ref.$k" "$dir/torch.$k"; done

# refused: unknown head, out-of-vocabulary id, junk, missing file
exits 2 "$TITAN" logits -m "$dir/nano.art" --ids "$dir/ids" --head 3 --out "$dir/x" ||
    fail "--head 3 of 2 exits 2"
echo "1 5000" >"$dir/bad"
exits 1 "$TITAN" logits -m "$dir/nano.art" --ids "$dir/bad" --out "$dir/x" ||
    fail "id 5000 >= V exits 1"
[ ! -e "$dir/x" ] || fail "no output file after a failure"
echo "1 abc" >"$dir/bad"
exits 1 "$TITAN" logits -m "$dir/nano.art" --ids "$dir/bad" --out "$dir/x" ||
    fail "junk id exits 1"
exits 1 "$TITAN" logits -m "$dir/missing" --ids "$dir/ids" --out "$dir/x" ||
    fail "missing artifact exits 1"
exits 2 "$TITAN" run -m "$dir/nano.art" -p a -f "$dir/ids" || fail "-p with -f exits 2"
exits 2 "$TITAN" run -m "$dir/nano.art" --top-p 2 || fail "--top-p 2 exits 2"
exits 2 "$TITAN" run -m "$dir/nano.art" --backend gpu -n 2 && grep -q gpu <<<"$stderr" ||
    fail "--backend gpu refused with a message"

# get FILE KEY: one value of a --json object (fails on invalid JSON)
get() {
    $PY -c 'import json,sys; print(json.load(open(sys.argv[1], encoding="utf-8"))[sys.argv[2]])' \
        "$1" "$2" || fail "$1 is not a JSON object with $2"
}
run_json() { "$TITAN" run -m "$dir/nano.art" -p "The cat" --json "$@"; }
run_json -n 40 --greedy >"$dir/plain.json" || fail "run greedy"
run_json -n 40 --greedy --speculative >"$dir/spec.json" || fail "run speculative"
plain=$(get "$dir/plain.json" ids) && spec=$(get "$dir/spec.json" ids) || exit 1
[ "$plain" = "$spec" ] || fail "speculative greedy differs from plain greedy"
[ "$(get "$dir/plain.json" tokens)" = 40 ] || fail "-n 40 gives 40 tokens"
[ "$(get "$dir/spec.json" drafted)" -gt 0 ] || fail "speculative drafts"
get "$dir/spec.json" acceptance_rate >/dev/null || exit 1
for f in plain spec; do
    planned=$(get "$dir/$f.json" arena_bytes) && used=$(get "$dir/$f.json" arena_used) || exit 1
    [ "$planned" = "$used" ] || fail "$f: arena high-water $used differs from the plan $planned"
done
run_json -n 20 --seed 7 --temp 1.5 >"$dir/s1.json" || fail "run sampling"
run_json -n 20 --seed 7 --temp 1.5 >"$dir/s2.json" || fail "run sampling"
s1=$(get "$dir/s1.json" ids) && s2=$(get "$dir/s2.json" ids) || exit 1
[ "$s1" = "$s2" ] || fail "same seed, same text"
get "$dir/s1.json" text >/dev/null || exit 1
run_json -n 20 --seed 7 --temp 1.5 --speculative --backend ref >"$dir/s3.json" ||
    fail "speculative sampling"
[ "$(get "$dir/s3.json" tokens)" = 20 ] || fail "speculative sampling gives 20 tokens"
"$TITAN" run -m "$dir/nano.art" -p "x" -n 5 --greedy >"$dir/text" 2>"$dir/stats" || fail "plain run"
grep -q "generated 5 tokens" "$dir/stats" || fail "run reports on stderr"

"$TITAN" plan -m "$dir/nano.art" --ctx 64 --batch 8 --json >"$dir/plan.json" || fail "plan"
total=$(get "$dir/plan.json" total_bytes) && art=$(get "$dir/plan.json" artifact_bytes) || exit 1
[ "$art" -ge "$(stat -c %s "$dir/nano.art")" ] && [ "$total" -ge "$art" ] || fail "plan counts the artifact ($total)"
[ "$(get "$dir/plan.json" cache_bytes_per_token)" = $((4 * 48 * 4)) ] || fail "nano cache bytes"
has "^total *[0-9]* bytes" "$TITAN" plan -m "$dir/nano.art" || fail "plan text"
exits 2 "$TITAN" plan -m "$dir/nano.art" --ctx 5000 || fail "plan --ctx above max_seq_len exits 2"
echo "model cli ok"
