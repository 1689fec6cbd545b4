#!/usr/bin/env bash
# eval_adapt.sh: `titan eval --adapt` on the shipped model: the plain val_bpb
# is the same number with and without it; on a text that repeats itself the
# adaptive one is far lower (the n-gram and match models learn the repeats);
# the thread count changes neither; both appear in text and JSON output. With
# --ttt it runs again over the TTT scores: at --ttt-lr 0 those are the plain
# ones, so the two adaptive figures are the same number.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
M=tools/data/model/nano.tart
head -c 3000 /usr/share/common-licenses/GPL-3 >"$T/once.txt" || fail "no Debian text"
for _ in 1 2 3 4; do cat "$T/once.txt"; done >"$T/four.txt"
ev() { "$TITAN" eval -m $M --ctx 128 --stride 64 --json "$@"; }
num() { grep -o "\"$1\": [-0-9.e+]*" | awk '{ print $2 }'; }
plain=$(ev --text "$T/four.txt" --threads 2 | num val_bpb)
j1=$(ev --text "$T/four.txt" --threads 1 --adapt)
j2=$(ev --text "$T/four.txt" --threads 2 --adapt)
[ "$(num val_bpb <<<"$j1")" = "$plain" ] || fail "--adapt changed the plain val_bpb"
[ "$(num adapt_val_bpb <<<"$j1")" = "$(num adapt_val_bpb <<<"$j2")" ] ||
    fail "adaptive val_bpb depends on threads"
adapt=$(num adapt_val_bpb <<<"$j1")
awk -v p="$plain" -v a="$adapt" 'BEGIN { exit !(a > 0 && a < p / 2) }' ||
    fail "adaptive $adapt not below half of plain $plain on a text repeated 4 times"
j3=$(ev --text "$T/four.txt" --threads 2 --adapt --ttt --ttt-chunk 1024 --ttt-lr 0)
[ "$(num ttt_adapt_val_bpb <<<"$j3")" = "$adapt" ] || fail "--ttt --ttt-lr 0 --adapt differs"
"$TITAN" eval -m $M --text "$T/once.txt" --ctx 128 --adapt | grep -q '^adaptive val_bpb ' ||
    fail "no adaptive line in the text output"
echo "eval --adapt ok: plain $plain, adaptive $adapt bpb on a text repeated 4 times"
