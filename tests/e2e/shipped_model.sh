#!/usr/bin/env bash
# shipped_model.sh: the default model in tools/data/model (what the quickstart
# runs) is the file its record nano.tart.sha256 names, opens, fits the 16 MB
# budget, is the nano preset, compresses its held-out excerpt better than xz
# and Brotli do, and generates deterministically.
. "$(dirname "$0")/lib/common.sh"
dir=tools/data/model
art=$dir/nano.tart record=$dir/nano.tart.sha256
want=$(awk '!/^#/ && $2 == "nano.tart" { print $1 }' "$record")
got=$(sha256sum "$art" | cut -d " " -f 1)
[ -n "$want" ] || fail "no sha256 of nano.tart in $record"
[ "$got" = "$want" ] || fail "$art has sha256 $got, $record records $want;" \
    "rebuild it with: $(sed -n 's/^# rebuild: //p' "$record")"
"$TITAN" inspect "$art" --json >"$BUILD/shipped.json" || fail "inspect"
/usr/bin/python3 - "$BUILD/shipped.json" <<'PY' || fail "inspect contents"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["checksums"] == "ok" and j["fits"] and j["file_bytes"] < 16_000_000, j["file_bytes"]
assert j["codec"] in ("lzma", "brotli"), j["codec"]
types = {t["name"]: t["type"] for t in j["tensors"]}
assert types["blocks.0.w_up"] in ("int6", "int6b"), types["blocks.0.w_up"]
PY
"$TITAN" init --preset nano -o "$BUILD/preset.tart" >/dev/null || fail "init"
"$TITAN" inspect "$BUILD/preset.tart" --json >"$BUILD/preset.json" || fail "inspect preset"
/usr/bin/python3 - "$BUILD/shipped.json" "$BUILD/preset.json" <<'PY' || fail "shipped config is not the nano preset"
import json, sys
a, b = (json.load(open(p))["config"] for p in sys.argv[1:])
for k in a:
    if k != "bos_id":
        assert a[k] == b[k], (k, a[k], b[k])
PY
# The first ~2000 tokens of the excerpt (English), in the training context.
out=$("$TITAN" eval -m "$art" --text "$dir/val_excerpt.txt" --ctx 256 --stride 128 \
      --max-tokens 2000 --baselines --json) || fail "eval"
/usr/bin/python3 - "$out" <<'PY' || fail "val_bpb not below the compressors: $out"
import json, sys
j = json.loads(sys.argv[1])
assert j["tokens"] == 2000
assert j["val_bpb"] < 0.9 * min(j["xz_bpb"], j["brotli_bpb"]), j
PY
a=$("$TITAN" run -m "$art" -p "The " -n 24 --greedy) || fail "run"
b=$("$TITAN" run -m "$art" -p "The " -n 24 --greedy) || fail "run again"
[ -n "$a" ] && [ "$a" = "$b" ] || fail "greedy runs differ or are empty"
echo "shipped model ok"
