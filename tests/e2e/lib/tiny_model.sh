# tiny_model.sh: sourced by e2e scripts. tiny_ckpt DIR TRAIN VAL [FLAGS...]
# trains a tiny Nano-Titan (V=300, D=16, 2 blocks x 2 recurrences, 2 MTP
# heads, max_seq_len 64) briefly on the text TRAIN with titan-train and its
# own BPE tokenizer: DIR/cfg.json, DIR/tok, DIR/m.ckpt. FLAGS go to
# `titan-train train` (steps, batch, seq, ema...). Non-zero on failure.
# code_corpus N prints N lines of a small code-like corpus (training text).
# code_split DIR: DIR/train.txt (400 lines of it) and DIR/val.txt (its first
# 3000 bytes, letters shifted so the two differ).
code_corpus() {
    local i
    for i in $(seq 1 "$1"); do
        echo "def f$i(x): return x * $i + $((i % 7))  # line $i of the corpus"
    done
}
code_split() {
    code_corpus 400 >"$1/train.txt"
    head -c 3000 "$1/train.txt" | tr 'a-z' 'b-za' >"$1/val.txt"
}
tiny_ckpt() {
    local dir=$1 train=$2 val=$3; shift 3
    cat >"$dir/cfg.json" <<'JSON'
{"vocab_size": 300, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 8, "kv_latent": 8, "mlp_hidden": 36,
 "conv_kernel": 3, "n_unique_blocks": 2, "n_recurrences": 2, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 2, "mtp_weights": [1.0, 0.3], "norm_eps": 1e-5}
JSON
    "$TITAN_TRAIN" tokenizer --vocab 290 -i "$train" -o "$dir/tok" >/dev/null &&
        "$TITAN_TRAIN" train --config "$dir/cfg.json" --tokenizer "$dir/tok" \
            --train "$train" --val "$val" --threads 1 --val-every 100 \
            --val-tokens 200 -o "$dir/m.ckpt" "$@" >/dev/null 2>&1
}
# killed_and_resumed ROWS CKPT LOG FLAGS...: `titan-train train FLAGS -o CKPT
# --log LOG` killed (SIGKILL) once LOG has ROWS rows, then resumed from CKPT
# to its end; fails when it ends first, left no checkpoint or cannot resume.
# The killed run's process id is in the global $pid for the caller's EXIT trap.
killed_and_resumed() {
    local rows=$1 ckpt=$2 log=$3
    shift 3
    "$TITAN_TRAIN" train "$@" -o "$ckpt" --log "$log" &
    pid=$!
    for _ in $(seq 1 3000); do
        [ -f "$log" ] && [ "$(wc -l <"$log")" -ge "$rows" ] && break
        sleep 0.02
    done
    kill -9 $pid 2>/dev/null || fail "run ended before it could be killed"
    wait $pid 2>/dev/null || true # killed: 137
    [ -f "$ckpt" ] || fail "no checkpoint before the kill"
    "$TITAN_TRAIN" train "$@" -o "$ckpt" --log "$log" --resume "$ckpt" || fail "resume"
}
