#!/usr/bin/env bash
# artifact_ref.sh: titan and the independent Python writer
# (tests/ref/artifact_ref.py) agree on the container: titan reads what the
# reference writes with every codec (int8 included) value for value (also
# the grouped data section of codec auto, each group with its own codec and
# shuffle), and titan pack writes the very bytes the reference writes for the same model,
# also with an n-gram table (the optional fifth section).
. "$(dirname "$0")/lib/common.sh"
PY=/usr/bin/python3
REF=tests/ref/artifact_ref.py
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
command -v brotli >/dev/null || skip "no brotli tool (tools/install-deps.sh --test)"
for codec in none lzma xz brotli grouped; do
    for q in f32 int8; do
        $PY $REF tiny "$T/ref_${codec}_$q.tart" $codec $q || fail "reference writer"
        "$TITAN" inspect "$T/ref_${codec}_$q.tart" >/dev/null || fail "inspect $codec $q"
        "$TITAN" export "$T/ref_${codec}_$q.tart" --safetensors "$T/ref_${codec}_$q.st" \
            >/dev/null || fail "export $codec $q"
    done
done
$PY - "$T" <<'PYEOF' || fail "values and fixture"
import json, struct, sys
import numpy as np
sys.path.insert(0, "tests/ref")
import artifact_ref as ref
T = sys.argv[1]
def load(p):
    raw = open(p, "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n]); base = 8 + n
    return {k: np.frombuffer(raw[base + v["data_offsets"][0]:base + v["data_offsets"][1]],
                             np.float32) for k, v in hdr.items()}
for q in ("f32", "int8"):
    want = ref.tiny_tensors(ref.TINY, q == "int8")
    for codec in ("none", "lzma", "xz", "brotli", "grouped"):
        got = load(f"{T}/ref_{codec}_{q}.st")
        for name, *_, vals in want:
            assert got[name].tobytes() == vals.astype(np.float32).tobytes(), (codec, q, name)
# The same model as pack input: safetensors, config JSON, byte tokenizer.
hdr, blobs, off = {}, [], 0
for name, nd, r, k, dt, b, s, vals in ref.tiny_tensors(ref.TINY):
    hdr[name] = {"dtype": "F32", "shape": [r] if nd == 1 else [r, k],
                 "data_offsets": [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(hdr).encode(); h += b" " * (-len(h) % 8)
open(f"{T}/tiny.st", "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
json.dump(ref.TINY, open(f"{T}/tiny.json", "w"))
open(f"{T}/byte.tok", "wb").write(ref.byte_tokenizer())
open(f"{T}/t.ngram", "wb").write(ref.ngram_table(ref.TINY["vocab_size"]))
ref.write(f"{T}/ref_none_ngram.tart", ref.TINY, ref.tiny_tensors(ref.TINY), "none",
          ref.ngram_table(ref.TINY["vocab_size"]))
PYEOF
# (.xz headers differ between one-shot and streaming encoders: values only.)
for codec in none lzma; do
    "$TITAN" pack --safetensors "$T/tiny.st" --config "$T/tiny.json" --tokenizer "$T/byte.tok" \
        -o "$T/packed_$codec.tart" --codec $codec >/dev/null || fail "pack $codec"
    cmp "$T/packed_$codec.tart" "$T/ref_${codec}_f32.tart" || fail "pack $codec differs from the reference"
done
"$TITAN" pack --safetensors "$T/tiny.st" --config "$T/tiny.json" --tokenizer "$T/byte.tok" \
    -o "$T/packed_ngram.tart" --ngram "$T/t.ngram" >/dev/null || fail "pack --ngram"
cmp "$T/packed_ngram.tart" "$T/ref_none_ngram.tart" || fail "pack --ngram differs from the reference"
"$TITAN" inspect "$T/ref_none_ngram.tart" | grep -q '^ngram  *2 bigram + 1 trigram' ||
    fail "inspect of the reference's table"
echo "artifact reference ok"
