#!/usr/bin/env bash
# eval_ttt.sh: `titan eval --ttt`, score-first test-time training, on the
# shipped (quantized) nano model and a golf-shaped model (gqa, GDN blocks and
# the other SPEC section 8 options), per-target NLLs from --nll-out:
# - the first chunk's NLLs are bit for bit plain eval's;
# - --ttt-lr 0 gives exactly plain eval's NLLs and val_bpb (the float copies
#   score as the quantized weights do);
# - legality: a stream whose tokens first differ at target d (inside chunk 3)
#   gets the same NLL for every target before d (chunks 1-2 and the start of
#   chunk 3), and not for all after it, when both score the same number of
#   targets (the lr schedule runs over the chunks); one thread or two, the
#   same NLLs;
# - the training state's arena bytes are titan plan --ttt's;
# - on a text made of one paragraph repeated, TTT lowers val_bpb;
# - hostile flags are usage errors with a message.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
NANO=tools/data/model/nano.tart
[ -f "$NANO" ] || fail "no shipped model $NANO"
cat core/eval.c core/eval_model.c core/eval_windows.c >"$T/src.txt"
head -c 9000 "$T/src.txt" >"$T/a.txt"
RUN=(--ctx 64 --stride 32 --threads 2)

# nll MODEL TEXT OUT [ARGS...]: per-target NLLs of a run into OUT, JSON to OUT.json
nll() {
    local m=$1 text=$2 out=$3
    shift 3
    "$TITAN" eval -m "$m" --text "$text" "${RUN[@]}" --json --nll-out "$out" "$@" \
        >"$out.json" || fail "eval $*"
}
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

"$TITAN" init --config tests/e2e/lib/golf_small.json --seed 3 -o "$T/golf.tart" >/dev/null || fail "init golf"

C=1024
for m in "$NANO" "$T/golf.tart"; do
    name=$(basename "$m")
    nll "$m" "$T/a.txt" "$T/plain"
    nll "$m" "$T/a.txt" "$T/lr0" --ttt --ttt-chunk $C --ttt-lr 0 --ttt-epochs 1
    cmp "$T/plain" "$T/lr0" || fail "$name: --ttt-lr 0 changed target NLLs"
    [ "$(field "$T/lr0.json" ttt_val_bpb)" = "$(field "$T/plain.json" val_bpb)" ] ||
        fail "$name: --ttt-lr 0 val_bpb differs from plain"
    for p in mlp all; do
        nll "$m" "$T/a.txt" "$T/ttt" --ttt --ttt-chunk $C --ttt-epochs 1 --ttt-params $p
        cmp <(head -n $C "$T/plain") <(head -n $C "$T/ttt") ||
            fail "$name --ttt-params $p: the first chunk's NLLs differ from plain eval"
        cmp -s "$T/plain" "$T/ttt" && fail "$name --ttt-params $p: training changed nothing"
        echo "$name --ttt-params $p: first $C targets bit-identical to plain," \
            "val_bpb $(field "$T/plain.json" val_bpb) -> $(field "$T/ttt.json" ttt_val_bpb)"
    done
    # the training state's arena: what titan plan --ttt predicts (default options)
    nll "$m" "$T/a.txt" "$T/def" --ttt --ttt-epochs 0
    "$TITAN" plan -m "$m" --ttt --ctx 64 --threads 2 --json >"$T/plan.json" || fail "plan --ttt"
    [ "$(field "$T/def.json" ttt_arena_bytes)" = "$(field "$T/plan.json" ttt_bytes)" ] ||
        fail "$name: eval --ttt's training state is not titan plan --ttt's"
    echo "$name: training state $(field "$T/plan.json" ttt_bytes) bytes, as titan plan --ttt says"
done

# Shard mode (parameter-golf shards and a SentencePiece model), when the
# tools to make them are here: the same two identities.
if command -v spm_train >/dev/null && /usr/bin/python3 -c 'import sentencepiece' 2>/dev/null; then
    head -c 12000 /usr/share/common-licenses/GPL-3 >"$T/gpl.txt" || fail "no Debian text"
    spm_train --input="$T/gpl.txt" --model_prefix="$T/sp" --vocab_size=400 --model_type=bpe \
        --byte_fallback=true --minloglevel=2 >/dev/null 2>&1 || fail "spm_train"
    /usr/bin/python3 tests/ref/spm_shards.py write "$T/sp.model" "$T/gpl.txt" "$T" 2 ||
        fail "shards"
    sed 's/"vocab_size": 300/"vocab_size": 400/' tests/e2e/lib/golf_small.json >"$T/g400.json"
    "$TITAN" init --config "$T/g400.json" --seed 4 -o "$T/g400.tart" >/dev/null || fail "init"
    sh=(--shards "$T/val_*.bin" --spm "$T/sp.model" "${RUN[@]}" --json)
    "$TITAN" eval -m "$T/g400.tart" "${sh[@]}" --nll-out "$T/sp" >/dev/null || fail "shards"
    "$TITAN" eval -m "$T/g400.tart" "${sh[@]}" --nll-out "$T/sp0" --ttt --ttt-chunk $C \
        --ttt-lr 0 --ttt-epochs 1 >/dev/null || fail "shards --ttt-lr 0"
    "$TITAN" eval -m "$T/g400.tart" "${sh[@]}" --nll-out "$T/sp1" --ttt --ttt-chunk $C \
        --ttt-params all --ttt-epochs 1 >"$T/sp1.json" || fail "shards --ttt"
    cmp "$T/sp" "$T/sp0" || fail "shards: --ttt-lr 0 changed target NLLs"
    cmp <(head -n $C "$T/sp") <(head -n $C "$T/sp1") || fail "shards: first chunk differs"
    cmp -s "$T/sp" "$T/sp1" && fail "shards: training changed nothing"
    echo "shards: first $C targets bit-identical, ttt_val_bpb $(field "$T/sp1.json" ttt_val_bpb)"
else
    echo "shards: spm_train or python3-sentencepiece missing, shard mode not checked"
fi

# Legality: change the text inside chunk 3 (targets 2049..3072).
"$TITAN" tokenize -m "$NANO" -f "$T/a.txt" | tr -s ' \n' '\n\n' >"$T/a.ids"
n=$(wc -l <"$T/a.ids")
[ "$n" -gt $((4 * C + 1)) ] || fail "text too short: $n tokens"
cut=$(($(head -n $((2 * C + C / 2)) "$T/a.ids" | "$TITAN" detokenize -m "$NANO" | wc -c)))
{ head -c "$cut" "$T/a.txt"; tail -c +$((cut + 1)) "$T/a.txt" | tr 'a-z' 'b-za'; } >"$T/b.txt"
"$TITAN" tokenize -m "$NANO" -f "$T/b.txt" | tr -s ' \n' '\n\n' >"$T/b.ids"
# d: the first target (seq index, BOS = 0) whose token differs
d=$(cmp "$T/a.ids" "$T/b.ids" | awk '{ print $NF }') || true
[ -n "$d" ] && [ "$d" -gt $((2 * C + 1)) ] && [ "$d" -le $((3 * C)) ] ||
    fail "the change does not start inside chunk 3 (target $d)"
# The same number of targets (so of chunks, which the lr schedule follows)
# in both: the changed text need not tokenize to the same length.
nll "$NANO" "$T/a.txt" "$T/ta" --ttt --ttt-chunk $C --ttt-epochs 1 --max-tokens $((4 * C))
nll "$NANO" "$T/b.txt" "$T/tb" --ttt --ttt-chunk $C --ttt-epochs 1 --max-tokens $((4 * C))
cmp <(head -n $((d - 1)) "$T/ta") <(head -n $((d - 1)) "$T/tb") ||
    fail "a change at target $d changed the score of an earlier target"
cmp -s <(tail -n +$((d + 1)) "$T/ta" | head -n 1000) <(tail -n +$((d + 1)) "$T/tb" | head -n 1000) &&
    fail "the changed text scored the same after target $d"
echo "legality: tokens changed from target $d on; targets 1..$((d - 1)) scored the same"
RUN=(--ctx 64 --stride 32 --threads 1)
nll "$NANO" "$T/a.txt" "$T/t1" --ttt --ttt-chunk $C --ttt-epochs 1 --max-tokens $((4 * C))
cmp "$T/ta" "$T/t1" || fail "TTT NLLs depend on --threads"
RUN=(--ctx 64 --stride 32 --threads 2)

# A paragraph repeated: the chunks after the first have been seen.
head -c 1500 /usr/share/common-licenses/Apache-2.0 >"$T/para.txt" || fail "no Debian text"
for i in 1 2 3 4 5 6; do cat "$T/para.txt"; done >"$T/rep.txt"
nll "$NANO" "$T/rep.txt" "$T/rep" --ttt --ttt-chunk 512
plain=$(field "$T/rep.json" val_bpb) ttt=$(field "$T/rep.json" ttt_val_bpb)
echo "repeated paragraph: val_bpb $plain plain, $ttt with TTT (defaults, chunk 512)"
/usr/bin/python3 -c "import sys; p, t = map(float, sys.argv[1:]); sys.exit(not t < p - 0.02)" \
    "$plain" "$ttt" || fail "TTT did not lower val_bpb enough ($plain -> $ttt)"

# Hostile flags: usage errors (exit 2) that say what is wrong.
bad() { # PATTERN ARGS...
    local pattern=$1
    shift
    exits 2 "$TITAN" eval -m "$NANO" --text "$T/a.txt" "$@" || fail "accepted: $*"
    grep -q -- "$pattern" <<<"$stderr" || fail "no '$pattern' in: $stderr"
}
bad "ttt-chunk" --ttt --ttt-chunk 0
bad "ttt-chunk" --ttt --ttt-chunk -4096
bad "below --ctx" --ttt --ttt-chunk 63 --ctx 64 --stride 32
bad "ttt-lr" --ttt --ttt-lr nan
bad "ttt-lr" --ttt --ttt-lr -0.1
bad "ttt-lr" --ttt --ttt-lr inf
bad "mlp or all" --ttt --ttt-params attn
bad "ttt-momentum" --ttt --ttt-momentum 1
bad "ttt-epochs" --ttt --ttt-epochs -1
bad "needs --ttt" --ttt-lr 0.01
bad "backend cpu or ref" --ttt --backend tpu
echo "eval_ttt: ok"
