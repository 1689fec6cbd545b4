# xenith_small.sh: sourced after common.sh. xenith_small DIR writes a small
# xenith model with every section-9 feature on (windows, global tokens, MoE,
# adapters on some kinds, untied head, memory read by some layers): the
# config DIR/x.json (lib/xenith_small.json), random weights DIR/x.st from
# tests/ref/xenith_ref.py (seed 3; lora_B too, so adapters matter), a
# byte-level tokenizer DIR/tok.tok and the float32 artifact DIR/x.tart.
# Sourcing skips a script without PyTorch; ref ARGS... runs the reference.
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "python3-torch not installed"
ref() { /usr/bin/python3 tests/ref/xenith_ref.py "$@"; }
xenith_small() {
    local d=$1
    cp tests/e2e/lib/xenith_small.json "$d/x.json"
    ref --config "$d/x.json" --write-weights "$d/x.st" --seed 3 ||
        fail "xenith_ref.py --write-weights"
    "$TITAN" init --config "$d/x.json" -o "$d/tok.tart" >/dev/null
    "$TITAN" export "$d/tok.tart" --safetensors "$d/tok.st" >/dev/null
    "$TITAN" pack --safetensors "$d/x.st" --config "$d/x.json" --tokenizer "$d/tok.tok" \
        --quant f32 -o "$d/x.tart" >/dev/null
}
