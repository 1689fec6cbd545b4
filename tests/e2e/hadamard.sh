#!/usr/bin/env bash
# hadamard.sh: `titan pack --hadamard` keeps the model's function and turns
# exactly the value/output pairs as numpy does (tests/ref/hadamard_check.py),
# lowers wo's int6 error when wo has outliers, and refuses what it cannot turn:
# v_head_dim not a power of two, a model without attention blocks.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 tests/ref/hadamard_check.py "$TITAN" "$T" || fail "hadamard check"

cat >"$T/odd.json" <<'JSON'
{"vocab_size": 300, "d_model": 32, "n_heads": 4, "n_kv_heads": 2, "head_dim": 8,
 "v_head_dim": 6, "rope_dim": 4, "q_latent": 0, "kv_latent": 0, "mlp_hidden": 40,
 "conv_kernel": 0, "n_unique_blocks": 2, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000.0, "yarn_factor": 1.0, "yarn_orig_ctx": 64, "yarn_beta_fast": 32.0,
 "yarn_beta_slow": 1.0, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5,
 "logit_softcap": 0.0, "attention": "gqa"}
JSON
sed 's/"v_head_dim": 6/"v_head_dim": 8/; s/"attention": "gqa"/"attention": "gqa", "gdn_layers": [0, 1]/' \
    "$T/odd.json" >"$T/gdn.json"
# expect CONFIG MESSAGE: pack --hadamard of CONFIG's weights exits 2 saying MESSAGE.
expect() {
    "$TITAN" init --config "$T/$1.json" -o "$T/$1.tart" >/dev/null
    "$TITAN" export "$T/$1.tart" --safetensors "$T/$1.st" >/dev/null
    exits 2 "$TITAN" pack --safetensors "$T/$1.st" --config "$T/$1.config.json" \
        --tokenizer "$T/$1.tok" --hadamard -o "$T/$1.out.tart" || fail "--hadamard on $1"
    grep -q "$2" <<<"$stderr" || fail "--hadamard on $1 says '$stderr'"
    [ ! -e "$T/$1.out.tart" ] || fail "--hadamard on $1 wrote a file"
}
expect odd "v_head_dim a power of two (it is 6)"
expect gdn "no attention block"
echo "hadamard ok"
