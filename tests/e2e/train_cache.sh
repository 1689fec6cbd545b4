#!/usr/bin/env bash
# train_cache.sh: the token cache FILE.tok of titan-train (little-endian,
# layout in tools/train/train_data.c) is used only when it is sound: a
# truncated, padded, absurd-count, bad-CRC or out-of-vocab cache is rebuilt,
# and the run trains exactly as from a fresh cache.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for i in $(seq 1 200); do echo "def g$i(y): return y - $i  # cache line $i"; done >"$T/train.txt"
head -c 2000 "$T/train.txt" >"$T/val.txt"
cat >"$T/cfg.json" <<'JSON'
{"vocab_size": 300, "d_model": 16, "n_heads": 2, "n_kv_heads": 1, "head_dim": 8,
 "v_head_dim": 8, "rope_dim": 4, "q_latent": 8, "kv_latent": 8, "mlp_hidden": 32,
 "conv_kernel": 3, "n_unique_blocks": 1, "n_recurrences": 1, "max_seq_len": 64,
 "rope_base": 10000, "yarn_factor": 1, "yarn_orig_ctx": 64, "yarn_beta_fast": 32,
 "yarn_beta_slow": 1, "mtp_heads": 1, "mtp_weights": [1.0], "norm_eps": 1e-5}
JSON
"$TITAN_TRAIN" tokenizer --vocab 290 -i "$T/train.txt" -o "$T/tok" >/dev/null || fail tokenizer
run() {
    "$TITAN_TRAIN" train --config "$T/cfg.json" --tokenizer "$T/tok" --train "$T/train.txt" \
        --val "$T/val.txt" --steps 3 --batch 2 --seq 16 --threads 1 -o "$T/$1" 2>"$T/err" ||
        fail "run $1: $(cat "$T/err")"
}
run fresh.ckpt
[ -f "$T/train.txt.tok" ] || fail "no cache written"
cp "$T/train.txt.tok" "$T/good.tok"
/usr/bin/python3 - "$T/good.tok" <<'PY' || fail "cache layout"
import struct, sys, zlib
raw = open(sys.argv[1], "rb").read()
assert raw[:4] == b"TTKC" and struct.unpack_from("<I", raw, 4)[0] == 1
n = struct.unpack_from("<Q", raw, 24)[0]
assert len(raw) == 32 + 4 * n + 4, "size"
assert struct.unpack_from("<I", raw, len(raw) - 4)[0] == zlib.crc32(raw[:-4]), "crc"
assert struct.unpack_from("<I", raw, 32)[0] == 256, "BOS first"
PY
for bad in cut pad count crc vocab; do
    /usr/bin/python3 - "$T/good.tok" "$T/train.txt.tok" $bad <<'PY' || fail "make $bad"
import struct, sys, zlib
raw = bytearray(open(sys.argv[1], "rb").read())
bad = sys.argv[3]
def seal(b):
    return b[:-4] + struct.pack("<I", zlib.crc32(bytes(b[:-4])))
if bad == "cut": raw = raw[:-8]
elif bad == "pad": raw += b"\0\0\0\0"
elif bad == "count": struct.pack_into("<Q", raw, 24, 1 << 62); raw = seal(raw)
elif bad == "crc": raw[40] ^= 1
elif bad == "vocab": struct.pack_into("<I", raw, 36, 299); raw = seal(raw)
open(sys.argv[2], "wb").write(bytes(raw))
PY
    run $bad.ckpt
    /usr/bin/python3 tests/e2e/lib/same_ckpt.py "$T/fresh.ckpt" "$T/$bad.ckpt" || fail "$bad cache changed the run"
    cmp -s "$T/good.tok" "$T/train.txt.tok" || fail "$bad cache not rebuilt"
done
echo "train cache ok"
