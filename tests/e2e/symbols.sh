#!/usr/bin/env bash
# symbols.sh: the trainer library and the runtime library define no global
# symbol twice (tests link both; a static link would silently pick one).
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for lib in "$BUILD/libtitan.a" "$BUILD/libtitan-train.a"; do
    [ -s "$lib" ] || fail "$lib missing (make)"
    nm -g --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u >"$T/${lib##*/}"
    [ -s "$T/${lib##*/}" ] || fail "$lib defines no global symbol"
done
dups=$(comm -12 "$T/libtitan.a" "$T/libtitan-train.a")
[ -z "$dups" ] || fail "defined in both libraries: $dups"
echo "no symbol defined twice ($(wc -l <"$T/libtitan.a") + $(wc -l <"$T/libtitan-train.a") symbols)"
