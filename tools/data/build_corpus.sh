#!/usr/bin/env bash
# build_corpus.sh [OUTDIR]: the default model's corpus, from Debian packages only.
#   English: the GCIDE dictionary text (package dict-gcide).
#   Code:    the Python 3.11 standard library sources (libpython3.11-minimal and
#            libpython3.11-stdlib), test directories excluded, files in byte order.
# Each source is split on a line boundary: its last 2% is validation.
# Writes OUTDIR/{train,val}.txt (default build/corpus), each source's validation
# part alone as OUTDIR/val.{english,code}.txt, and prints their sha256
# and the package versions they came from (the hash depends on those versions).
set -euo pipefail
out=${1:-build/corpus}
export LC_ALL=C
for p in dict-gcide libpython3.11-minimal libpython3.11-stdlib; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
        echo "build_corpus: package $p is not installed (tools/install-deps.sh)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

gzip -dc /usr/share/dictd/gcide.dict.dz > "$tmp/english.txt"
dpkg -L libpython3.11-minimal libpython3.11-stdlib | grep -E '^/usr/lib/python3\.11/.*\.py$' |
    grep -vE '/(test|tests|idle_test)/' | sort -u |
    while read -r f; do [ -f "$f" ] && cat "$f" && echo; done > "$tmp/code.txt"

# split FILE: the first line boundary at or after 98% of the bytes starts validation.
split_source() {
    local f=$1 n cut line
    n=$(stat -c %s "$f")
    cut=$(( n * 98 / 100 ))
    # tail is cut short by awk's exit (SIGPIPE), which is expected here.
    line=$(tail -c +$((cut + 1)) "$f" | awk '{ print length($0); exit }') || true
    cut=$(( cut + line + 1 ))
    head -c "$cut" "$f" >> "$out/train.txt"
    tail -c +$((cut + 1)) "$f" | tee -a "$out/val.txt" >"$out/val.$(basename "$f")"
}
: > "$out/train.txt"; : > "$out/val.txt"
split_source "$tmp/english.txt"
split_source "$tmp/code.txt"
dpkg-query -W -f='${Package} ${Version}\n' dict-gcide libpython3.11-minimal libpython3.11-stdlib
(cd "$out" && wc -c train.txt val.txt | head -n 2 && sha256sum train.txt val.txt)
