#!/usr/bin/env bash
# heldout.sh [--cap BYTES] [OUTDIR]: held-out texts of five kinds for honest
# val_bpb evaluation, from Debian packages that no training corpus of this
# project may use (tools/data/build_corpus.sh does not):
#   prose-old.txt   The Devil's Dictionary, Ambrose Bierce 1881-1906 (dict-devil)
#   technical.txt   the Debian Policy Manual's reStructuredText (debian-policy)
#   code-c.txt      the GNU C library's headers (libc6-dev; no kernel headers:
#                   those come from linux-libc-dev, which is never read)
#   code-perl.txt   the Perl 5.36 standard modules (perl-modules-5.36)
#   changelog.txt   GnuPG's ChangeLog, a commit log (gpgv)
# Each text is its sources' files in byte order of path, cut to the first
# line boundary at or after --cap bytes (default 1,000,000). Writes
# OUTDIR/NAME.txt (default build/heldout) and prints the package versions and
# each file's size and sha256 (they depend on those versions). Bible
# translations, the Jargon File and Linux kernel headers are held out for
# evaluation elsewhere and are never used here either.
set -euo pipefail
export LC_ALL=C
cap=1000000 out=build/heldout
while [ $# -gt 0 ]; do
    case "$1" in
        --cap) cap=$2; shift 2 ;;
        -*) echo "usage: tools/data/heldout.sh [--cap BYTES] [OUTDIR]" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
[[ "$cap" =~ ^[1-9][0-9]*$ ]] || { echo "heldout: --cap needs a positive byte count" >&2; exit 2; }
pkgs=(dict-devil debian-policy libc6-dev perl-modules-5.36 gpgv)
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
        echo "heldout: package $p is not installed (tools/install-deps.sh --test)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# files PKG REGEX: the package's regular files whose path matches, sorted.
files() { dpkg -L "$1" | grep -E "$2" | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done; }
# capped NAME: stdin, whole (so no writer is cut off), then into
# OUTDIR/NAME.txt up to the first line boundary at or after $cap bytes.
capped() {
    cat >"$tmp/all"
    awk -v cap="$cap" '{ print; n += length($0) + 1; if (n >= cap) exit }' "$tmp/all" >"$out/$1.txt"
}
# concat: the files named on stdin, a newline after each.
concat() { while read -r f; do cat "$f"; echo; done; }

gzip -dc /usr/share/dictd/devil.dict.dz | capped prose-old
files debian-policy '/policy\.html/_sources/.*\.rst\.txt$' | concat | capped technical
files libc6-dev '^/usr/include/.*\.h$' | concat | capped code-c
files perl-modules-5.36 '\.pm$' | concat | capped code-perl
gzip -dc /usr/share/doc/gpgv/changelog.gz | capped changelog

dpkg-query -W -f='${Package} ${Version}\n' "${pkgs[@]}"
(cd "$out" && for f in prose-old technical code-c code-perl changelog; do
    printf '%9d  %s\n' "$(stat -c %s "$f.txt")" "$f.txt"; done && sha256sum ./*.txt)
