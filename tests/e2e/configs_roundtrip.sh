#!/usr/bin/env bash
# configs_roundtrip.sh: configs and artifacts go around.
#  - tools/configs/NAME.json, the documented ready configs, are the presets,
#    every one, and nothing else.
#  - titan plan --config-out writes a config titan init takes back.
#  - What titan export writes (weights, config JSON, tokenizer) is what
#    titan init --config --tokenizer and titan pack take: packed again at f32
#    with the same codec it is the same artifact, byte for byte; and so is
#    titan-train export's (--config-out, --tokenizer-out) for titan pack.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
presets=$("$TITAN" init --help | sed -n 's/^  --preset *//p' | tr -d '|')
[ "$(wc -w <<<"$presets")" -ge 5 ] || fail "presets: $presets"
# (compared as titan writes each config back; plan writes it before it
# sizes the model, so a model plan refuses is compared too)
for p in $presets; do
    [ -f "tools/configs/$p.json" ] || fail "no tools/configs/$p.json"
    "$TITAN" plan --preset "$p" --config-out "$T/a.json" >/dev/null 2>&1 || true
    "$TITAN" plan --config "tools/configs/$p.json" --config-out "$T/b.json" >/dev/null 2>&1 || true
    [ -s "$T/a.json" ] && cmp -s "$T/a.json" "$T/b.json" ||
        fail "tools/configs/$p.json is not the preset $p"
    rm "$T/a.json" "$T/b.json"
done
[ "$(ls tools/configs | wc -l)" = "$(wc -w <<<"$presets")" ] || fail "a config that is no preset"

"$TITAN" plan --preset nano --config-out "$T/nano.json" >/dev/null 2>&1
"$TITAN" init --config "$T/nano.json" --seed 3 -o "$T/a.tart" >/dev/null
"$TITAN" init --preset nano --seed 3 -o "$T/b.tart" >/dev/null
cmp -s "$T/a.tart" "$T/b.tart" || fail "plan --config-out does not round-trip"

"$TITAN" init --preset nano --seed 5 --tokenizer tools/data/model/nano.tart 2>/dev/null &&
    fail "an artifact taken as a tokenizer"
"$TITAN" export tools/data/model/nano.tart --safetensors "$T/w.st" >/dev/null
"$TITAN" init --config "$T/w.config.json" --tokenizer "$T/w.tok" --seed 5 -o "$T/c.tart" \
    >/dev/null || fail "init --config/--tokenizer from export"
"$TITAN" pack --safetensors "$T/w.st" --config "$T/w.config.json" --tokenizer "$T/w.tok" \
    --quant f32 -o "$T/d.tart" >/dev/null
"$TITAN" export "$T/d.tart" --safetensors "$T/w2.st" >/dev/null
for f in st config.json tok; do
    cmp -s "$T/w.$f" "$T/w2.$f" || fail "export -> pack f32 -> export changed w.$f"
done

# titan-train's export into titan pack
. tests/e2e/lib/tiny_model.sh
code_corpus 200 >"$T/train.txt"
tiny_ckpt "$T" "$T/train.txt" "$T/train.txt" --steps 2 --batch 1 --seq 16 || fail "tiny model"
"$TITAN_TRAIN" export "$T/m.ckpt" -o "$T/m.st" --config-out "$T/m.json" \
    --tokenizer-out "$T/m.tok" >/dev/null
"$TITAN" pack --safetensors "$T/m.st" --config "$T/m.json" --tokenizer "$T/m.tok" \
    -o "$T/e.tart" >/dev/null
"$TITAN" pack --ckpt "$T/m.ckpt" --weights raw -o "$T/f.tart" >/dev/null
cmp -s "$T/e.tart" "$T/f.tart" || fail "titan-train export + pack differs from pack --ckpt"
echo "configs round-trip ok"
