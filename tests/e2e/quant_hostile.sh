#!/usr/bin/env bash
# quant_hostile.sh: quantized sections written by the independent Python
# writer (tests/ref/artifact_ref.py) with valid checksums: int6 and int8 values
# load value for value, int6b (one int6 value per byte) too; scales
# NaN/0/negative/inf, an int6 value in a row's padding and an int6b byte
# outside [-32, 31] are refused (exit 1 with a message naming the tensor).
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
/usr/bin/python3 - "$T" tests/ref <<'PYEOF' || fail "writing the cases"
import sys
import numpy as np
T = sys.argv[1]; sys.path.insert(0, sys.argv[2])
import artifact_ref as ref
def int6_rows(q, cols):  # titan.h INT6 layout; q[r] holds ceil(cols/4)*4 values
    out = b""
    for row in q:
        u = np.asarray(row, np.int64) & 63
        for g in range(0, len(u), 4):
            w = u[g] | u[g + 1] << 6 | u[g + 2] << 12 | u[g + 3] << 18
            out += bytes([w & 255, w >> 8 & 255, w >> 16 & 255])
    return out
def case(name, conv_q, scales, dt=4):
    ts = ref.tiny_tensors(ref.TINY)
    i = [t[0] for t in ts].index("blocks.0.conv")
    n, nd, r, k = ts[i][:4]                       # [4, 2]: two padding values per row
    vals = int6_rows(conv_q, k) if dt == 4 else np.asarray(conv_q, np.int64).astype(np.uint8).tobytes()
    s = np.asarray(scales, np.float32)
    deq = np.asarray(conv_q, np.float32)[:, :k] * s[:, None]
    ts[i] = (n, nd, r, k, dt, vals, s, deq)
    ref.write(f"{T}/{name}.tart", ref.TINY, ts, "none")
    np.save(f"{T}/{name}.npy", deq)
good = [[-32, 31, 0, 0], [1, -1, 0, 0], [17, -17, 0, 0], [0, 5, 0, 0]]
case("good6", good, [0.5, 1, 2, 0.25])
case("good8", [[-128, 127], [1, -1], [17, -17], [0, 5]], [0.5, 1, 2, 0.25], dt=3)
case("pad6", [[-32, 31, 0, 1], [1, -1, 0, 0], [17, -17, 0, 0], [0, 5, 0, 0]], [0.5, 1, 2, 0.25])
case("pad6b", [[-32, 31, 0, 0], [1, -1, 0, 0], [17, -17, 0, 0], [0, 5, -32, 0]], [0.5, 1, 2, 0.25])
case("good6b", [[-32, 31], [1, -1], [17, -17], [0, 5]], [0.5, 1, 2, 0.25], dt=5)
case("big6b", [[-32, 31], [1, -1], [17, 32], [0, 5]], [0.5, 1, 2, 0.25], dt=5)
case("small6b", [[-32, 31], [1, -1], [17, -17], [-33, 5]], [0.5, 1, 2, 0.25], dt=5)
case("int8in6b", [[-128, 127], [1, -1], [17, -17], [0, 5]], [0.5, 1, 2, 0.25], dt=5)
for tag, bad in [("nan", np.nan), ("zero", 0.0), ("neg", -1.0), ("inf", np.inf)]:
    case("scale_" + tag, good, [0.5, 1, bad, 0.25])
PYEOF
for g in good6 good8 good6b; do
    "$TITAN" export "$T/$g.tart" --safetensors "$T/$g.st" >/dev/null 2>"$T/err" ||
        fail "$g refused: $(cat "$T/err")"
    /usr/bin/python3 - "$T/$g.st" "$T/$g.npy" <<'PYEOF' || fail "$g values"
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])["blocks.0.conv"]
got = np.frombuffer(raw[8 + n + h["data_offsets"][0]:8 + n + h["data_offsets"][1]], np.float32)
assert got.tobytes() == np.load(sys.argv[2]).astype(np.float32).tobytes(), got
PYEOF
done
for b in pad6 pad6b big6b small6b int8in6b scale_nan scale_zero scale_neg scale_inf; do
    exits 1 "$TITAN" inspect "$T/$b.tart" || fail "$b refused"
    grep -q "blocks.0.conv" <<<"$stderr" || fail "$b: message does not name the tensor: $stderr"
done
echo "quant hostile ok"
