#!/usr/bin/env bash
# pack_budget.sh: a size budget as parameter-golf counts it.
#  - `titan pack --budget` over the budget exits 1, writes nothing and leaves
#    an existing file as it was (same bytes, no temporary beside it); within
#    the budget it replaces the file.
#  - --with-code adds the stripped titan binary compressed with the artifact's
#    codec: a budget between the artifact and artifact + code passes without
#    it and fails with it, in pack and in inspect.
#  - `titan inspect --budget` exits 1 when the file does not fit, 0 when it
#    does, and prints the "total submission size" line with --with-code.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$TITAN" export tools/data/model/nano.tart --safetensors "$T/w.st" >/dev/null
# The refusals pack uncompressed (a budget's logic does not depend on the codec,
# and Brotli q11 of f32 is this suite's slowest step); the fitting packs and
# --with-code use Brotli.
P=(--safetensors "$T/w.st" --config "$T/w.config.json" --tokenizer "$T/w.tok" --codec none)

"$TITAN" pack "${P[@]}" --quant int8 -o "$T/m.tart" >/dev/null
cp "$T/m.tart" "$T/before.tart"
small=$(stat -c %s "$T/m.tart")
# f32 is about four times as big: over a budget of twice the int8 size.
exits 1 "$TITAN" pack "${P[@]}" --quant f32 --budget $((2 * small)) -o "$T/m.tart" ||
    fail "pack over --budget"
grep -q "over the budget of $((2 * small))" <<<"$stderr" || fail "over budget says '$stderr'"
out=$("$TITAN" pack "${P[@]}" --quant f32 --budget $((2 * small)) -o "$T/m.tart" 2>&1) &&
    fail "pack over --budget succeeded"
grep -q "wrote" <<<"$out" && fail "over budget says it wrote: '$out'"
cmp -s "$T/m.tart" "$T/before.tart" || fail "pack over --budget replaced the existing file"
[ "$(ls "$T")" = "$(printf '%s\n' before.tart m.tart w.config.json w.st w.tok)" ] ||
    fail "pack over --budget left files behind: $(ls "$T")"
exits 1 "$TITAN" pack "${P[@]}" --quant f32 --budget $((2 * small)) -o "$T/new.tart" ||
    fail "pack over --budget, new file"
[ ! -e "$T/new.tart" ] || fail "pack over --budget wrote a new file"

# Within the budget the file is replaced, and says so.
P[-1]=brotli
out=$("$TITAN" pack "${P[@]}" --quant int6 --budget "$small" -o "$T/m.tart") ||
    fail "pack within --budget"
grep -q "^wrote $T/m.tart: " <<<"$out" || fail "pack within budget says '$out'"
cmp -s "$T/m.tart" "$T/before.tart" && fail "pack within --budget kept the old file"

# inspect --budget: 0 when it fits, 1 when not; --with-code counts the code.
size=$(stat -c %s "$T/m.tart")
exits 0 "$TITAN" inspect "$T/m.tart" --budget "$size" || fail "inspect at its own size"
exits 1 "$TITAN" inspect "$T/m.tart" --budget $((size - 1)) || fail "inspect one byte over"
grep -q "over the budget of $((size - 1))" <<<"$stderr" || fail "inspect over says '$stderr'"
out=$("$TITAN" inspect "$T/m.tart" --with-code --budget 100000000)
line=$(grep "^total submission size " <<<"$out") || fail "no submission line: $out"
read -r code < <(sed -n 's/^code *\([0-9]*\) bytes.*/\1/p' <<<"$out")
[ "$line" = "total submission size $((size + code)) bytes (artifact $size + code $code)" ] ||
    fail "submission line '$line'"
[ "$code" -gt 10000 ] || fail "code size $code"
exits 1 "$TITAN" inspect "$T/m.tart" --with-code --budget $((size + code / 2)) ||
    fail "inspect --with-code over"
exits 0 "$TITAN" inspect "$T/m.tart" --with-code --budget $((size + code)) ||
    fail "inspect --with-code at the total"
cp "$T/m.tart" "$T/before.tart"
exits 1 "$TITAN" pack "${P[@]}" --quant int6 --budget $((size + code / 2)) --with-code \
    -o "$T/m.tart" || fail "pack --with-code over"
cmp -s "$T/m.tart" "$T/before.tart" || fail "pack --with-code over replaced the file"
exits 0 "$TITAN" pack "${P[@]}" --quant int6 --budget $((size + code / 2)) -o "$T/m.tart" ||
    fail "pack without --with-code under the same budget"
echo "pack budget ok"
