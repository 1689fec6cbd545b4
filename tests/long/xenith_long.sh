#!/usr/bin/env bash
# xenith_long.sh (`make xenith-long`; ~10-20 minutes, not in `make check`):
# issue 24's long-stream test. A 262,144-target stream through
# xenith-mini-cpu (random weights of `titan init --preset xenith-mini-cpu`,
# generated text) scored by `titan eval --text` as ONE stream (no --ctx):
# - heap calls (tests/e2e/lib/heap_count.sh's shim) equal those of a
#   4,096-target run of the same text: nothing is allocated after the arena;
# - the arena grows from the short run to the long one only by the eval's
#   per-target NLL buffers (2 doubles for each of a scorer call's 4 window
#   slots: 64 bytes a target), not by any cache: a full causal KV cache of
#   xenith-mini-cpu alone would add 4 KiB a token;
# - streaming consistency: the first 4,096 target NLLs (--nll-out) of the long
#   run equal the short run's exactly, and every NLL is finite.
# THREADS (default 1) sets --threads; the time, tokens/s, heap calls and
# arena bytes are printed.
. "$(dirname "$0")/../e2e/lib/common.sh"
. tests/e2e/lib/heap_count.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
heap_shim "$dir"
long=${LONG:-262144} short=4096 threads=${THREADS:-1}
"$TITAN" init --preset xenith-mini-cpu --seed 5 -o "$dir/mini.art" >/dev/null ||
    fail "init xenith-mini-cpu"
# Deterministic text of random words, longer than the stream in any tokenizer
# that spends at least a byte a token.
awk 'BEGIN { srand(7); n = split("the of and a to in is was that for on with as by at " \
    "from his her it an were are which this be or has had not but also their one its " \
    "after first two new into other who they been more time when during", w, " ");
    for (b = 0; b < 300000;) { s = w[int(rand() * n) + 1]; printf "%s%s", s, (++i % 12) ? " " : ".\n";
    b += length(s) + 1 } }' >"$dir/text"

# score N: heap calls of one eval of the first N targets, as "calls arena".
score() {
    local c
    c=$(calls_of "$TITAN" eval -m "$dir/mini.art" --text "$dir/text" --max-tokens "$1" \
        --threads "$threads" --json --nll-out "$dir/nll$1")
    cp "$dir/out" "$dir/eval$1.json"
    echo "$c $(cat "$dir/largest")"
}
read -r sc sa <<<"$(score $short)"
read -r lc la <<<"$(score $long)"
field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" "$dir/eval$2.json"; }
[ "$(field tokens $long)" = "$long" ] || fail "the long run scored $(field tokens $long) targets"
[ "$(field windows $long)" = 1 ] || fail "the long run was not one stream"
echo "xenith-mini-cpu, one stream of $long targets: $(field seconds $long) s," \
    "$(field tokens_per_s $long) tokens/s ($threads threads; $short targets: $(field tokens_per_s $short) tokens/s)"
echo "heap calls: $sc for $short targets, $lc for $long; arena $sa bytes, then $la"
[ "$sc" -gt 0 ] || fail "the shim counted nothing"
[ "$sc" = "$lc" ] || fail "heap calls grow with the stream ($sc -> $lc)"
per=$(((la - sa) / (long - short)))
echo "arena growth: $((la - sa)) bytes, $per a target (the eval's per-target buffers)"
[ "$per" -le 64 ] || fail "the arena grows by $per bytes a target"
# Streaming consistency: the long stream's first targets are the short's.
head -n $short "$dir/nll$long" | cmp -s - "$dir/nll$short" ||
    fail "the first $short NLLs of the long stream differ from the short run's"
awk -v n=$long '!($1 > 0 && $1 < 1e30) { bad = 1 } END { exit (bad || NR != n) }' \
    "$dir/nll$long" || fail "a NLL of the long stream is not finite (or the count is off)"
echo "first $short NLLs equal the short run's; val_loss $(field val_loss $long)"
echo "xenith long ok"
