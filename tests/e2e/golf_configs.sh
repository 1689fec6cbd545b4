#!/usr/bin/env bash
# golf_configs.sh: tools/data/golf/*.json are the golf presets (SPEC section 8):
# each file equals `titan init --preset NAME --config-out` and reads back to the
# same config (titan init --config); the presets have their parameter counts;
# titan-train trains golf-cpu.json and `titan init --config-out` without -o
# writes no artifact.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tools/data/golf/configs.sh --check || fail "tools/data/golf differs from the presets"
for preset in golf-1.1531 golf-1.0785 golf-cpu; do
    "$TITAN" init --config "tools/data/golf/$preset.json" --config-out "$work/back.json"
    cmp "tools/data/golf/$preset.json" "$work/back.json" || fail "$preset.json round trip"
    grep -q '"attention":"gqa"' "tools/data/golf/$preset.json" || fail "$preset: not gqa"
done
[ "$(ls "$work")" = back.json ] || fail "--config-out alone wrote more"
# A file that differs from its preset fails the check.
mkdir "$work/golf"
cp tools/data/golf/*.json "$work/golf/"
sed 's/"d_model":128/"d_model":96/' tools/data/golf/golf-cpu.json >"$work/cpu.json"
cp "$work/cpu.json" "$work/golf/golf-cpu.json"
exits 1 env GOLF_DIR="$work/golf" tools/data/golf/configs.sh --check ||
    fail "a changed golf-cpu.json passed the check"
params() { "$TITAN" plan "$@" --json | sed 's/.*"params":\([0-9]*\),.*/\1/'; }
[ "$(params --preset golf-1.1531)" = 27005532 ] || fail "golf-1.1531 parameters"
[ "$(params --preset golf-cpu)" = 863764 ] || fail "golf-cpu parameters"
[ "$(params --config tools/data/golf/golf-cpu.json)" = 863764 ] || fail "golf-cpu.json"
[ "$(params --config "$work/cpu.json")" != 863764 ] || fail "params ignores d_model"
code_corpus 300 >"$work/train.txt"
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/tok" >/dev/null
"$TITAN_TRAIN" train --config tools/data/golf/golf-cpu.json --tokenizer "$work/tok" \
    --train "$work/train.txt" --val "$work/train.txt" --steps 2 --batch 1 --seq 16 \
    --threads 1 --val-every 0 -o "$work/cpu.ckpt" >/dev/null 2>&1 ||
    fail "titan-train on golf-cpu.json"
"$TITAN" pack --ckpt "$work/cpu.ckpt" --quant int6 -o "$work/cpu.tart" >/dev/null
has '"layer_schedule":\[0,1,2,1,2,3\]' "$TITAN" inspect "$work/cpu.tart" --json ||
    fail "golf-cpu artifact config"
echo "golf_configs: ok"
