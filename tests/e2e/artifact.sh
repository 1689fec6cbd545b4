#!/usr/bin/env bash
# artifact.sh: init -> inspect -> export -> pack -> export with every codec,
# checked against an independent numpy reading of the files; then damaged
# and hostile artifacts: exit 1 with a message, never a crash.
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# --- init is deterministic per seed; inspect and export agree with SPEC.
"$TITAN" init --preset nano --seed 7 -o "$T/a.tart" >/dev/null || fail "init"
"$TITAN" init --preset nano --seed 7 -o "$T/b.tart" >/dev/null || fail "init again"
cmp -s "$T/a.tart" "$T/b.tart" || fail "same seed, different files"
"$TITAN" init --preset nano --seed 8 -o "$T/c.tart" >/dev/null || fail "init seed 8"
cmp -s "$T/a.tart" "$T/c.tart" && fail "different seeds, same file"
has "fits" "$TITAN" inspect "$T/a.tart" || fail "inspect text"
exits 1 "$TITAN" inspect "$T/a.tart" --budget 1000 || fail "over --budget exits 1"
out=$("$TITAN" inspect "$T/a.tart" --budget 1000 2>/dev/null) || true
grep -q "DOES NOT FIT" <<<"$out" || fail "budget"
"$TITAN" inspect "$T/a.tart" --json > "$T/a.json" || fail "inspect --json"
"$TITAN" export "$T/a.tart" --safetensors "$T/a.st" >/dev/null || fail "export"
has "^artifact *[0-9]* bytes" "$TITAN" plan -m "$T/a.tart" || fail "plan"
$PY - "$T" <<'PYEOF' || fail "init/inspect/export content"
import json, os, struct, sys
import numpy as np
T = sys.argv[1]
info = json.load(open(f"{T}/a.json"))
c = info["config"]
assert info["file_bytes"] == os.path.getsize(f"{T}/a.tart")
V, D, H, G = c["vocab_size"], c["d_model"], c["n_heads"], c["n_kv_heads"]
Dh, Dv, Dr, Lq, Lkv = c["head_dim"], c["v_head_dim"], c["rope_dim"], c["q_latent"], c["kv_latent"]
F, K, B, M = c["mlp_hidden"], c["conv_kernel"], c["n_unique_blocks"], c["mtp_heads"]
shapes = {"tok_emb": [V, D]}           # SPEC section 1, written out again here
for b in range(B):
    p = f"blocks.{b}."
    shapes[p + "attn_norm"] = [D]
    shapes[p + "wq_a"] = [Lq, D]; shapes[p + "q_norm"] = [Lq]; shapes[p + "wq_b"] = [H * (Dh + Dr), Lq]
    shapes[p + "wkv_a"] = [Lkv + Dr, D]; shapes[p + "kv_norm"] = [Lkv]
    shapes[p + "wkv_b"] = [G * (Dh + Dv), Lkv]; shapes[p + "wo"] = [D, H * Dv]
    shapes[p + "ffn_norm"] = [D]; shapes[p + "w_gate"] = [F, D]; shapes[p + "w_up"] = [F, D]
    shapes[p + "w_down"] = [D, F]; shapes[p + "conv"] = [F, K]
shapes["final_norm"] = [D]
for k in range(2, M + 1): shapes[f"mtp.{k}.head"] = [V, D]
assert [t["name"] for t in info["tensors"]] == list(shapes), "tensor order"
assert all(t["shape"] == shapes[t["name"]] for t in info["tensors"])
assert info["params"] == sum(int(np.prod(s)) for s in shapes.values()) == 621632
raw = open(f"{T}/a.st", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
for name, s in shapes.items():
    e = hdr[name]
    assert e["dtype"] == "F32" and e["shape"] == s, name
    a, b = e["data_offsets"]
    w = np.frombuffer(raw[8 + n + a:8 + n + b], np.float32)
    if name.endswith("norm"): assert (w == 1).all(), name
    else: assert abs(w.std() - 0.02) < 0.002 and abs(w.mean()) < 0.002, (name, w.std())
PYEOF

# --- pack a tiny model with every codec; export returns the very bits.
$PY - "$T" <<'PYEOF' || fail "tiny fixture"
import json, struct, sys, zlib
import numpy as np
T = sys.argv[1]
c = dict(vocab_size=300, d_model=16, n_heads=2, n_kv_heads=1, head_dim=8, v_head_dim=8,
         rope_dim=4, q_latent=0, kv_latent=8, mlp_hidden=32, conv_kernel=0,
         n_unique_blocks=1, n_recurrences=2, max_seq_len=64, rope_base=10000.0,
         yarn_factor=1.0, yarn_orig_ctx=64, yarn_beta_fast=32.0, yarn_beta_slow=1.0,
         mtp_heads=1, mtp_weights=[1.0], norm_eps=1e-5, logit_softcap=0.0)
json.dump(c, open(f"{T}/tiny.json", "w"))
tok = b"TTOK" + struct.pack("<III", 1, 0, 0)
open(f"{T}/byte.tok", "wb").write(tok + struct.pack("<I", zlib.crc32(tok)))
shapes = {"tok_emb": [300, 16], "blocks.0.attn_norm": [16], "blocks.0.wq": [24, 16],
          "blocks.0.wkv_a": [12, 16], "blocks.0.kv_norm": [8], "blocks.0.wkv_b": [16, 8],
          "blocks.0.wo": [16, 16], "blocks.0.ffn_norm": [16], "blocks.0.w_gate": [32, 16],
          "blocks.0.w_up": [32, 16], "blocks.0.w_down": [16, 32], "final_norm": [16]}
rng = np.random.default_rng(1)
hdr, blobs, off = {}, [], 0
for name in sorted(shapes, reverse=True):   # any order in the input file
    w = rng.standard_normal(shapes[name]).astype(np.float32)
    w.flat[0] = np.float32(1e-40)            # a subnormal must survive f32
    b = w.tobytes(); blobs.append(b)
    hdr[name] = {"dtype": "F32", "shape": shapes[name], "data_offsets": [off, off + len(b)]}
    off += len(b)
h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
open(f"{T}/tiny.st", "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
PYEOF
for codec in none lzma xz brotli; do
    "$TITAN" pack --safetensors "$T/tiny.st" --config "$T/tiny.json" --tokenizer "$T/byte.tok" \
        -o "$T/tiny_$codec.tart" --quant f32 --codec $codec >/dev/null || fail "pack $codec"
    has "codec $codec" "$TITAN" inspect "$T/tiny_$codec.tart" || fail "inspect $codec"
    "$TITAN" export "$T/tiny_$codec.tart" --safetensors "$T/back_$codec.st" >/dev/null || fail "export $codec"
done
"$TITAN" pack --safetensors "$T/tiny.st" --config "$T/tiny.json" --tokenizer "$T/byte.tok" \
    -o "$T/tiny_bf16.tart" --quant bf16 --codec lzma >/dev/null || fail "pack bf16"
"$TITAN" export "$T/tiny_bf16.tart" --safetensors "$T/back_bf16.st" >/dev/null || fail "export bf16"
$PY - "$T" <<'PYEOF' || fail "pack -> export values"
import json, struct, sys
import numpy as np, torch
T = sys.argv[1]
def load(p):
    raw = open(p, "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    return {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                             np.float32).reshape(v["shape"]) for k, v in hdr.items()}
src = load(f"{T}/tiny.st")
for codec in ["none", "lzma", "xz", "brotli"]:
    back = load(f"{T}/back_{codec}.st")
    assert back.keys() == src.keys()
    for k in src: assert src[k].tobytes() == back[k].tobytes(), (codec, k)
bf = load(f"{T}/back_bf16.st")
for k in src:
    ref = torch.from_numpy(src[k].copy()).bfloat16().float().numpy()
    assert ref.tobytes() == bf[k].tobytes(), ("bf16", k)
PYEOF

# --- refused with a message and exit 2: later features, bad usage.
. tests/e2e/lib/expect.sh
P=(--safetensors "$T/tiny.st" --config "$T/tiny.json" --tokenizer "$T/byte.tok" -o "$T/x.tart")
expect 2 "pack unknown type" "$TITAN" pack "${P[@]}" --quant int4
expect 2 "pack --ckpt with --config" "$TITAN" pack --ckpt foo --config "$T/tiny.json" -o "$T/x.tart"
expect 2 "pack bad codec" "$TITAN" pack "${P[@]}" --codec zip
expect 2 "init no preset" "$TITAN" init -o "$T/x.tart"
expect 2 "init bad preset" "$TITAN" init --preset huge -o "$T/x.tart"
expect 2 "inspect no file" "$TITAN" inspect
expect 1 "pack over budget" "$TITAN" pack "${P[@]}" --budget 1000
expect 1 "pack missing tensor" "$TITAN" pack --safetensors "$T/a.st" --config "$T/tiny.json" \
    --tokenizer "$T/byte.tok" -o "$T/x.tart"
expect 1 "inspect missing" "$TITAN" inspect "$T/nonexistent.tart"

# --- damaged artifacts: truncation at and around every section boundary,
# random flipped bits, wrong magic, a file with bytes appended.
for codec in none brotli; do
    f="$T/tiny_$codec.tart"
    cuts=$($PY -c "
import struct,sys
h=open(sys.argv[1],'rb').read(196)
for k in range(4):
    off,st=struct.unpack_from('<QQ',h,32+40*k+8)
    for c in (off-1,off,off+1,off+st-1): print(c)
print(0); print(195); print(196)" "$f")
    for n in $cuts; do
        head -c "$n" "$f" > "$T/cut.tart"
        expect 1 "$codec truncated at $n" "$TITAN" inspect "$T/cut.tart"
    done
    $PY -c "
import random,sys
b0=open(sys.argv[1],'rb').read(); random.seed(1)
for i in range(40):
    b=bytearray(b0); bit=random.randrange(len(b)*8); b[bit//8]^=1<<(bit%8)
    open(f'{sys.argv[2]}/flip{i}.tart','wb').write(b)" "$f" "$T"
    for i in $(seq 0 39); do
        expect 1 "$codec flipped bit ($i)" "$TITAN" inspect "$T/flip$i.tart"
    done
    { printf 'X'; tail -c +2 "$f"; } > "$T/magic.tart"
    expect 1 "$codec wrong magic" "$TITAN" inspect "$T/magic.tart"
    grep -q "bad magic" <<<"$stderr" || fail "magic message"
    { cat "$f"; printf '\0'; } > "$T/long.tart"
    expect 1 "$codec appended byte" "$TITAN" inspect "$T/long.tart"
done
# Correctly checksummed but hostile heads: a codec stream that yields more
# than its section declares, and an absurd raw size.
$PY - "$T/tiny_lzma.tart" "$T" <<'PYEOF' || fail "hostile heads"
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
def seal(b): b[192:196] = struct.pack("<I", zlib.crc32(bytes(b[:192])))
big = bytearray(b); at = 32 + 40 * 1 + 24              # tokenizer raw_bytes
struct.pack_into("<Q", big, at, struct.unpack_from("<Q", big, at)[0] - 1); seal(big)
open(f"{sys.argv[2]}/bomb.tart", "wb").write(big)
huge = bytearray(b); struct.pack_into("<Q", huge, 32 + 40 * 3 + 24, 1 << 62); seal(huge)
open(f"{sys.argv[2]}/huge.tart", "wb").write(huge)
PYEOF
expect 1 "codec output larger than declared" "$TITAN" inspect "$T/bomb.tart"
grep -q "declared" <<<"$stderr" || fail "bomb message: $stderr"
expect 1 "absurd raw size" "$TITAN" inspect "$T/huge.tart"
grep -q "absurd" <<<"$stderr" || fail "absurd message: $stderr"
expect 1 "plan of a damaged file" "$TITAN" plan -m "$T/huge.tart"
echo "artifact e2e ok"
