#!/usr/bin/env bash
# heldout.sh: tools/data/heldout.sh builds its five held-out texts, each cut at
# the first line boundary at or after --cap, the same bytes on a second run;
# none of its packages feeds the training corpus (tools/data/build_corpus.sh),
# and no held-out-elsewhere source (Bible, Jargon File, kernel headers) is read.
source "$(dirname "$0")/lib/common.sh"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cap=5000
tools/data/heldout.sh --cap $cap "$tmp/a" >"$tmp/log" || fail "heldout.sh failed: $(cat "$tmp/log")"
tools/data/heldout.sh --cap $cap "$tmp/b" >/dev/null
for n in prose-old technical code-c code-perl changelog; do
    f="$tmp/a/$n.txt"
    size=$(stat -c %s "$f")
    last=$(tail -n 1 "$f" | wc -c)
    [ "$size" -ge $cap ] && [ $((size - last)) -lt $cap ] || fail "$n.txt: $size bytes for cap $cap"
    cmp -s "$f" "$tmp/b/$n.txt" || fail "$n.txt differs between two runs"
done
pkgs=$(sed -n 's/^pkgs=(\(.*\))$/\1/p' tools/data/heldout.sh)
[ -n "$pkgs" ] || fail "no package list in heldout.sh"
for p in $pkgs; do
    ! grep -qw -- "$p" tools/data/build_corpus.sh || fail "$p is held out and in the corpus"
done
! grep -qiE 'bible|jargon|linux-libc-dev|/usr/include/(linux|asm)' <(grep -v '^#' tools/data/heldout.sh) ||
    fail "heldout.sh reads a source held out elsewhere"
[ "$(tools/data/heldout.sh --cap 0 "$tmp/c" 2>&1 >/dev/null; echo $?)" != 0 ] || fail "--cap 0 accepted"
echo "heldout ok"
