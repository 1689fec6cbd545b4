#!/usr/bin/env bash
# malloc_free.sh: SPEC section 5. Counts heap calls (LD_PRELOAD shim
# tests/e2e/malloc_count.c, built by lib/heap_count.sh) in processes running `titan run` and
# `titan eval` over different token counts, and in the example program of the
# library's high-level helper: the count must not grow with the tokens
# processed, i.e. the runtime never allocates. Under AddressSanitizer
# the shim counts through the sanitizer's allocator hooks, loaded after it.
# Nano (also with --adapt, --tilt and --act-quant q8), and a golf-shaped model (SPEC section 8),
# also packed with --codec auto (its grouped data section); a xenith model
# (logits, eval, run).
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
. tests/e2e/lib/heap_count.sh
heap_shim "$dir"
"$TITAN" init --preset nano --seed 2 -o "$dir/nano.art" >/dev/null || fail "init"

calls() { calls_of "$TITAN" "$@"; } # calls ARGS...: of one titan process
for mode in "--greedy" "--temp 1 --seed 3" "--greedy --speculative"; do
    for be in cpu ref; do
        a=$(calls run -m "$dir/nano.art" -p "Once upon" -n 4 $mode --backend $be)
        b=$(calls run -m "$dir/nano.art" -p "Once upon" -n 60 $mode --backend $be)
        echo "run $mode --backend $be: $a heap calls for 4 tokens, $b for 60"
        [ "$a" -gt 0 ] || fail "the shim counted nothing"
        [ "$a" = "$b" ] || fail "heap calls grow with tokens ($a -> $b)"
    done
done
head -c 300 tests/e2e/malloc_count.c >"$dir/short.txt"
cat tests/e2e/malloc_count.c tests/e2e/malloc_count.c >"$dir/long.txt"
for be in cpu ref; do
    a=$(calls eval -m "$dir/nano.art" --text "$dir/short.txt" --ctx 64 --stride 32 --threads 2 --backend $be)
    b=$(calls eval -m "$dir/nano.art" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 2 --backend $be)
    echo "eval --backend $be: $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
    [ "$a" -gt 0 ] || fail "the shim counted nothing"
    [ "$a" = "$b" ] || fail "eval heap calls grow with tokens ($a -> $b)"
done
# The BESE tokenizer: encoding and stream decoding from the arena too.
"$TITAN_TRAIN" tokenizer --kind bese --vocab 288 -i "$dir/long.txt" -o "$dir/bese.tok" \
    >/dev/null 2>&1 || fail "bese tokenizer"
"$TITAN" init --preset nano --seed 2 --tokenizer "$dir/bese.tok" -o "$dir/bese.art" \
    >/dev/null || fail "init bese"
a=$(calls eval -m "$dir/bese.art" --text "$dir/short.txt" --ctx 64 --stride 32)
b=$(calls eval -m "$dir/bese.art" --text "$dir/long.txt" --ctx 64 --stride 32)
echo "eval (BESE): $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
[ "$a" = "$b" ] || fail "BESE eval heap calls grow with tokens ($a -> $b)"
a=$(calls run -m "$dir/bese.art" -p "Once upon" -n 4 --temp 1 --seed 3)
b=$(calls run -m "$dir/bese.art" -p "Once upon" -n 60 --temp 1 --seed 3)
echo "run (BESE): $a heap calls for 4 tokens, $b for 60"
[ "$a" = "$b" ] || fail "BESE run heap calls grow with tokens ($a -> $b)"
a=$(calls eval -m "$dir/nano.art" --text "$dir/short.txt" --ctx 64 --stride 32 --adapt)
b=$(calls eval -m "$dir/nano.art" --text "$dir/long.txt" --ctx 64 --stride 32 --adapt)
echo "eval --adapt: $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
[ "$a" = "$b" ] || fail "eval --adapt heap calls grow with tokens ($a -> $b)"
# --act-quant q8 (an int8 repack of the model): the quantized activations
# come from the planned arena too.
"$TITAN" export "$dir/nano.art" --safetensors "$dir/n.st" --config-out "$dir/n.json" \
    --tokenizer-out "$dir/n.tok" >/dev/null || fail "export"
"$TITAN" pack --safetensors "$dir/n.st" --config "$dir/n.json" --tokenizer "$dir/n.tok" \
    --quant int8 -o "$dir/n8.art" >/dev/null || fail "pack int8"
a=$(calls run -m "$dir/n8.art" -p "Once upon" -n 4 --greedy --act-quant q8 --threads 2)
b=$(calls run -m "$dir/n8.art" -p "Once upon" -n 60 --greedy --act-quant q8 --threads 2)
c=$(calls eval -m "$dir/n8.art" --text "$dir/short.txt" --ctx 64 --stride 32 --act-quant q8)
d=$(calls eval -m "$dir/n8.art" --text "$dir/long.txt" --ctx 64 --stride 32 --act-quant q8)
echo "--act-quant q8: run $a heap calls for 4 tokens, $b for 60; eval $c and $d"
[ "$a" -gt 0 ] && [ "$c" -gt 0 ] || fail "the shim counted nothing"
[ "$a" = "$b" ] && [ "$c" = "$d" ] || fail "q8 heap calls grow with tokens"
# --tilt with a table packed into the artifact (read into the arena with it).
"$TITAN" export "$dir/nano.art" --safetensors "$dir/w.st" >/dev/null || fail "export"
"$TITAN_TRAIN" ngram -i "$dir/long.txt" --tokenizer "$dir/w.tok" --vocab 1024 \
    -o "$dir/t.ngram" >/dev/null || fail "ngram"
"$TITAN" pack --safetensors "$dir/w.st" --config "$dir/w.config.json" --tokenizer "$dir/w.tok" \
    --ngram "$dir/t.ngram" -o "$dir/tilt.art" >/dev/null || fail "pack --ngram"
a=$(calls eval -m "$dir/tilt.art" --text "$dir/short.txt" --ctx 64 --stride 32 --tilt 0.5 --adapt)
b=$(calls eval -m "$dir/tilt.art" --text "$dir/long.txt" --ctx 64 --stride 32 --tilt 0.5 --adapt)
echo "eval --tilt --adapt: $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
[ "$a" = "$b" ] || fail "eval --tilt heap calls grow with tokens ($a -> $b)"
# The library's high-level helper (titan_session_*), in the example program:
# its one block is all the memory generation uses.
for mode in 0 7; do # greedy, sampled
    a=$(calls_of "$BUILD/examples/generate" "$dir/nano.art" "Once upon" 4 $mode)
    b=$(calls_of "$BUILD/examples/generate" "$dir/nano.art" "Once upon" 60 $mode)
    echo "examples/generate (seed $mode): $a heap calls for 4 tokens, $b for 60"
    [ "$a" = "$b" ] || fail "the session helper's heap calls grow with tokens ($a -> $b)"
done
# A golf-shaped model (SPEC section 8: gqa, schedule, skips, bigram and value
# embeddings, smear gate, sinks, Gated DeltaNet blocks as golf-1.0785 has them;
# two heads, so speculative decoding rewinds).
"$TITAN" init --config tests/e2e/lib/golf_small.json --seed 2 -o "$dir/golf.art" >/dev/null || fail "init golf"
for be in cpu ref; do
    a=$(calls run -m "$dir/golf.art" -p "Once upon" -n 4 --greedy --speculative --backend $be)
    b=$(calls run -m "$dir/golf.art" -p "Once upon" -n 60 --greedy --speculative --backend $be)
    c=$(calls eval -m "$dir/golf.art" --text "$dir/short.txt" --ctx 64 --stride 32 --backend $be)
    d=$(calls eval -m "$dir/golf.art" --text "$dir/long.txt" --ctx 64 --stride 32 --backend $be)
    echo "golf --backend $be: run $a heap calls for 4 tokens, $b for 60; eval $c and $d"
    [ "$a" -gt 0 ] && [ "$c" -gt 0 ] || fail "the shim counted nothing"
    [ "$a" = "$b" ] && [ "$c" = "$d" ] || fail "golf heap calls grow with tokens"
done
# Codec auto (a grouped data section: each group decoded in arena scratch):
# loading it takes no more heap calls than loading the uncompressed pack.
"$TITAN" export "$dir/golf.art" --safetensors "$dir/g.st" >/dev/null || fail "export golf"
for c in none auto; do
    "$TITAN" pack --safetensors "$dir/g.st" --config "$dir/g.config.json" \
        --tokenizer "$dir/g.tok" --codec $c -o "$dir/g_$c.art" >/dev/null || fail "pack $c"
done
"$TITAN" inspect "$dir/g_auto.art" | grep -q 'codec auto' || fail "golf auto pack not grouped"
a=$(calls run -m "$dir/g_none.art" -p "Once upon" -n 4 --greedy)
b=$(calls run -m "$dir/g_auto.art" -p "Once upon" -n 60 --greedy)
echo "golf --codec none vs auto: $a heap calls (4 tokens), $b (60 tokens)"
[ "$a" = "$b" ] || fail "loading a codec-auto artifact allocates ($a -> $b)"
# A xenith model (SPEC section 9: windows, global tokens, MoE, adapters and the
# segment memory) through titan logits: 8 ids, then 300, far past every
# window and segment, with bounded windows so the arena is the same size.
cat >"$dir/xenith.json" <<'JSON'
{"family": "xenith", "vocab_size": 300, "d_model": 16, "n_heads": 4, "n_kv_heads": 2,
 "head_dim": 4, "mlp_hidden": 24, "max_seq_len": 16, "n_layers": 2, "attn_windows": [3, 5],
 "n_global_tokens": 2, "moe_experts": 4, "moe_dense_layers": 1, "lora_rank": 2,
 "stm_tokens": 6, "mem_slots": 2, "ltm_size": 3, "sum_layers": 1, "sum_heads": 2}
JSON
"$TITAN" init --config "$dir/xenith.json" -o "$dir/xenith.art" >/dev/null || fail "init xenith"
seq 8 >"$dir/ids8"
for i in $(seq 300); do echo $((i * 7 % 300)); done >"$dir/ids300"
for be in cpu ref; do
    a=$(calls logits -m "$dir/xenith.art" --ids "$dir/ids8" --out "$dir/l" --backend $be)
    b=$(calls logits -m "$dir/xenith.art" --ids "$dir/ids300" --out "$dir/l" --backend $be)
    echo "xenith logits --backend $be: $a heap calls for 8 tokens, $b for 300"
    [ "$a" -gt 0 ] && [ "$a" = "$b" ] || fail "xenith heap calls grow with tokens ($a -> $b)"
done
# The same model through titan eval (no --ctx: the whole text one stream) and
# titan run: 300 tokens, then a 20,000-token stream and 2,000 generated tokens.
for i in $(seq 400); do echo "line $i of a long stream, far past every window"; done |
    head -c 20000 >"$dir/x20k.txt"
for be in cpu ref; do
    a=$(calls eval -m "$dir/xenith.art" --text "$dir/short.txt" --backend $be)
    b=$(calls eval -m "$dir/xenith.art" --text "$dir/x20k.txt" --backend $be)
    echo "xenith eval --backend $be: $a heap calls for 300 tokens, $b for 20000"
    [ "$a" -gt 0 ] && [ "$a" = "$b" ] || fail "xenith eval heap calls grow ($a -> $b)"
    a=$(calls run -m "$dir/xenith.art" -p "Once upon" -n 4 --temp 1 --seed 3 --backend $be)
    b=$(calls run -m "$dir/xenith.art" -p "Once upon" -n 2000 --temp 1 --seed 3 --backend $be)
    echo "xenith run --backend $be: $a heap calls for 4 tokens, $b for 2000"
    [ "$a" -gt 0 ] && [ "$a" = "$b" ] || fail "xenith run heap calls grow ($a -> $b)"
done
# Score-first test-time training (eval --ttt): its training state comes from
# the process arena (ttt_plan bytes, carved before the first chunk), so heap
# calls do not depend on the chunks: one chunk (nothing trained), 4096- or
# 1024-token chunks of the same text (scoring and training on one pool each).
for m in "$dir/nano.art" "$dir/golf.art"; do
    one=$(calls eval -m "$m" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 2 \
        --ttt --ttt-chunk 1000000 --ttt-epochs 1)
    a=$(calls eval -m "$m" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 2 \
        --ttt --ttt-chunk 4096 --ttt-epochs 1)
    b=$(calls eval -m "$m" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 2 \
        --ttt --ttt-chunk 1024 --ttt-epochs 1)
    echo "eval --ttt $(basename "$m"): $one heap calls for one chunk, $a with 4096-token chunks, $b with 1024"
    [ "$a" -gt 0 ] || fail "the shim counted nothing"
    [ "$one" = "$a" ] && [ "$a" = "$b" ] || fail "eval --ttt heap calls depend on the chunks ($one, $a, $b)"
done
echo "malloc-free ok"
