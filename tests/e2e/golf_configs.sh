#!/usr/bin/env bash
# golf_configs.sh: the golf configs in tools/configs (configs_roundtrip.sh checks
# that they equal their presets) have the records' parameter counts and gqa
# attention; titan-train trains golf-cpu.json and its artifact keeps the schedule.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/tiny_model.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for preset in golf-1.1531 golf-1.0785 golf-cpu; do
    grep -q '"attention": "gqa"' "tools/configs/$preset.json" || fail "$preset: not gqa"
done
params() { "$TITAN" plan "$@" --json | sed 's/.*"params":\([0-9]*\),.*/\1/'; }
[ "$(params --preset golf-1.1531)" = 27005532 ] || fail "golf-1.1531 parameters"
[ "$(params --config tools/configs/golf-1.0785.json)" = 35908184 ] || fail "golf-1.0785 parameters"
[ "$(params --config tools/configs/golf-cpu.json)" = 863764 ] || fail "golf-cpu parameters"
sed 's/"d_model": 128/"d_model": 96/' tools/configs/golf-cpu.json >"$work/cpu.json"
[ "$(params --config "$work/cpu.json")" != 863764 ] || fail "params ignores d_model"
code_corpus 300 >"$work/train.txt"
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$work/train.txt" -o "$work/tok" >/dev/null
"$TITAN_TRAIN" train --config tools/configs/golf-cpu.json --tokenizer "$work/tok" \
    --train "$work/train.txt" --val "$work/train.txt" --steps 2 --batch 1 --seq 16 \
    --threads 1 --val-every 0 -o "$work/cpu.ckpt" >/dev/null 2>&1 ||
    fail "titan-train on golf-cpu.json"
"$TITAN" pack --ckpt "$work/cpu.ckpt" --quant int6 -o "$work/cpu.tart" >/dev/null
has '"layer_schedule":\[0,1,2,1,2,3\]' "$TITAN" inspect "$work/cpu.tart" --json ||
    fail "golf-cpu artifact config"
echo "golf_configs: ok"
