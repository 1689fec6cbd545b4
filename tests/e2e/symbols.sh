#!/usr/bin/env bash
# symbols.sh: the trainer library and the runtime library define no global
# symbol twice (tests link both; a static link would silently pick one).
set -u
lib="$BUILD/libtitan.a" train="$BUILD/libtitan-train.a"
defs() { nm -g --defined-only "$1" | awk 'NF == 3 { print $3 }' | sort -u; }
dups=$(comm -12 <(defs "$lib") <(defs "$train"))
[ -z "$dups" ] || { echo "FAIL: defined in both libraries:"; echo "$dups"; exit 1; }
echo "no symbol defined twice"
