#!/usr/bin/env bash
# val_excerpt.sh CORPUS SOURCE=BYTES...: a held-out excerpt on stdout: for each
# source in the order given, the first whole lines of its validation part
# (CORPUS/val.SOURCE.txt, from build_corpus.sh) that fit in BYTES.
# `val_excerpt.sh CORPUS all=BYTES` takes BYTES of every source of the corpus.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CORPUS SOURCE=BYTES..." >&2; exit 2; }
corpus=$1; shift
lines() { head -c "$2" "$1" | head -n "$(head -c "$2" "$1" | wc -l)"; }
for arg in "$@"; do
    src=${arg%%=*} bytes=${arg#*=}
    [[ "$arg" == *=* && "$bytes" =~ ^[0-9]+$ ]] || { echo "val_excerpt: $arg is not SOURCE=BYTES" >&2; exit 2; }
    if [ "$src" = all ]; then
        while read -r s; do lines "$corpus/val.$s.txt" "$bytes"; done <"$corpus/sources.txt"
    else
        [ -f "$corpus/val.$src.txt" ] || { echo "val_excerpt: no source $src in $corpus" >&2; exit 2; }
        lines "$corpus/val.$src.txt" "$bytes"
    fi
done
