#!/usr/bin/env bash
# val_excerpt.sh CORPUS EN_BYTES CODE_BYTES: a held-out excerpt on stdout: the
# first whole lines of the English and then of the code validation part that
# fit in EN_BYTES and CODE_BYTES (CORPUS from build_corpus.sh).
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 CORPUS EN_BYTES CODE_BYTES" >&2; exit 2; }
lines() { head -c "$2" "$1" | head -n "$(head -c "$2" "$1" | wc -l)"; }
lines "$1/val.english.txt" "$2"
lines "$1/val.code.txt" "$3"
