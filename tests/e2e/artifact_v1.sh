#!/usr/bin/env bash
# artifact_v1.sh: artifacts of the writer before SPEC section 8 (container
# version 1) still load and run exactly as before. The values below were
# recorded with titan built at 7e8ed7c (the last commit before section 8) on
# an AVX-512 host: the bytes of `titan init --preset nano --seed 5 --codec lzma`
# (today's writer must still produce them), and the logits (float32, sha256) of
# that artifact and of the shipped model tools/data/model/nano.tart (version 1,
# int6/int8 GPTQ) on 41 ids, every head. The ref backend is scalar C and must
# match bit for bit anywhere; the cpu backend's kernels depend on the ISA, so
# its logits must match bit for bit on AVX-512 and the ref logits to 1e-4
# elsewhere; its val_bpb on the excerpt likewise (exact, else to 1e-6).
. "$(dirname "$0")/lib/common.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
shipped=tools/data/model/nano.tart
{ echo 256; seq 0 7 273; } >"$work/ids"
"$TITAN" init --preset nano --seed 5 --codec lzma -o "$work/init.tart" >/dev/null
[ "$(sha256sum <"$work/init.tart" | cut -c1-64)" = \
    bc4344a913fed5778b7804b70536d05ccd807f178c039d02d4b519af4bd53315 ] ||
    fail "titan init of a default config no longer writes the version-1 bytes"
# The shipped values belong to this nano.tart (a re-shipped model is version 1
# too: record its values with titan built at 7e8ed7c).
[ "$(sha256sum <"$shipped" | cut -c1-64)" = \
    03ab8fdc014a422789d30b67bcc2bbff13ebd53df10335a66399b9d4e60cc0ff ] ||
    fail "$shipped is not the model these values were recorded for"
for art in "$work/init.tart" "$shipped"; do
    [ "$(od -An -tu4 -j8 -N4 "$art" | tr -d ' ')" = 1 ] || fail "$art: not version 1"
done
avx512=0
grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo && avx512=1
# logits ART HEAD BACKEND SHA256: the logits have that hash (cpu off AVX-512:
# within 1e-4 of the ref backend's, whose hash was checked first).
logits() {
    local art=$1 head=$2 backend=$3 want=$4 out
    out=$work/$backend.$head.bin
    "$TITAN" logits -m "$art" --ids "$work/ids" --head "$head" --backend "$backend" \
        --threads 2 --out "$out" >/dev/null
    if [ "$backend" = ref ] || [ "$avx512" = 1 ]; then
        [ "$(sha256sum <"$out" | cut -c1-64)" = "$want" ] ||
            fail "$art head $head $backend: logits differ from version-1 titan's"
    else
        /usr/bin/python3 - "$out" "$work/ref.$head.bin" <<'PY' || fail "$art head $head cpu"
import sys, numpy as np
a, b = (np.fromfile(p, dtype="<f4").astype(np.float64) for p in sys.argv[1:])
assert a.shape == b.shape and a.size == 41 * 1024
assert np.all(np.abs(a - b) <= 1e-4 * np.maximum(1, np.abs(b))), np.nanmax(np.abs(a - b))
PY
    fi
}
logits "$work/init.tart" 1 ref 5ec4e99d9e0d16ba33b914c8b1783ffdd1ff26d6f4ac0bd53d74891ee8c293d1
logits "$work/init.tart" 2 ref c36b847c63039d389e35052c58dcf7dbcdb20d1a7248d913143d69f9e8133647
logits "$work/init.tart" 1 cpu 6fbec1cfe5b3e2d2e5b5f98ca10d93c11ffcd77dcc6a9b8d692dd40c2fb31343
logits "$work/init.tart" 2 cpu 20ddd28b806805519b83920107ad26843c581d5691190a48c4fd2c1543865659
logits "$shipped" 1 ref fafecae8f39760c386e04782524f40db256cea2b9b3f964f7ea2343ee76f4a2c
logits "$shipped" 2 ref 0ea38ae6532bc966eca300c5bd131671bed9d5b5855d588b8f542e40115d56dd
logits "$shipped" 1 cpu 3f1a350b1f42d0f610a2b4ac6808f1ab174424397147c2e666c4dec9c339b150
logits "$shipped" 2 cpu 8e2e0d265fa4684e932749b3badb426a6f4d90b6f911dec7ee2923bbc9ad4209
# The first 3000 excerpt tokens in the training context; version-1 titan printed
# val_bpb 1.2663872003171557.
out=$("$TITAN" eval -m "$shipped" --text tools/data/model/val_excerpt.txt --ctx 256 \
    --stride 128 --max-tokens 3000 --threads 2 --json)
/usr/bin/python3 - "$out" "$avx512" <<'PY' || fail "eval: $out"
import json, sys
j, want = json.loads(sys.argv[1]), 1.2663872003171557
assert j["tokens"] == 3000 and j["bytes"] == 7435, j
tol = 0 if sys.argv[2] == "1" else 1e-6
assert abs(j["val_bpb"] - want) <= tol, (j["val_bpb"], want)
PY
echo "artifact_v1: ok"
