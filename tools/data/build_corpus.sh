#!/usr/bin/env bash
# build_corpus.sh [--version 1|2] [OUTDIR]: a training corpus from Debian
# packages only (sources and licenses: tools/data/CORPUS.md).
#   Version 1 (the shipped nano model's): the GCIDE dictionary and the Python
#   3.11 standard library.
#   Version 2: English (dictionaries, Jane Austen's novels, Debian's handbook
#   and reference, the GNU coding standards, the Python documentation, man
#   pages), code (Python, C, C++, Go, Rust, Ruby, Tcl, Perl, shell, Emacs
#   Lisp) and change logs, each source capped so no kind dominates.
# Each source is split on a line boundary: its last 2% is validation.
# Writes OUTDIR/{train,val}.txt (default build/corpus), each source's
# validation part alone as OUTDIR/val.SOURCE.txt, the source names in
# OUTDIR/sources.txt and the package versions they came from in
# OUTDIR/packages.txt; prints those and the sha256 of train and val (which
# depend on the versions).
# The texts of tools/data/heldout.sh, Bible translations, the Jargon File and
# Linux kernel headers are never read.
set -euo pipefail
shopt -s lastpipe # source_text ends pipelines and records their names
export LC_ALL=C
version=1 out=build/corpus
while [ $# -gt 0 ]; do
    case "$1" in
        --version) version=${2:-}; shift 2 || shift ;;
        -*) echo "usage: tools/data/build_corpus.sh [--version 1|2] [OUTDIR]" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
case "$version" in
    1) pkgs=(dict-gcide libpython3.11-minimal libpython3.11-stdlib) ;;
    2) pkgs=(dict-gcide dict-wn r-cran-janeaustenr debian-handbook debian-reference-en
             gnu-standards python3.11-doc manpages manpages-dev libpython3.11-minimal
             libpython3.11-stdlib zlib1g-dev libssl-dev libsqlite3-dev libx11-dev liblua5.4-dev
             libstdc++-12-dev golang-1.19-src rust-src libruby3.1 tcllib lintian libdpkg-perl
             bash-completion emacs-el w3m groff-base) ;;
    *) echo "build_corpus: --version must be 1 or 2" >&2; exit 2 ;;
esac
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
        echo "build_corpus: package $p is not installed (tools/install-deps.sh --corpus)" >&2; exit 1; }
done
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# files PKG REGEX: the package's regular files whose path matches, sorted
# (none is not an error here: source_text refuses an empty source).
files() { dpkg -L "$1" | { grep -E "$2" || true; } | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done; }
# spread BYTES: of the file names on stdin, every k-th (k the smallest
# stride that brings their stored size to BYTES or less), so a capped source
# samples all of its directories rather than the first in path order.
# Compressed or rendered sources grow after it: take caps their text.
spread() {
    local list=$tmp/list total k
    cat >"$list"
    total=$(xargs -r -d '\n' stat -c %s <"$list" | awk '{ s += $1 } END { print s + 0 }')
    k=$(( (total + $1 - 1) / $1 )); [ "$k" -ge 1 ] || k=1
    awk -v k="$k" '(NR - 1) % k == 0' "$list"
}
# concat: the files named on stdin (gzip ones unpacked), a newline after each.
concat() { while read -r f; do case "$f" in *.gz) gzip -dc "$f" ;; *) cat "$f" ;; esac; echo; done; }
# html: the HTML files named on stdin as plain text, 80 columns.
html() { while read -r f; do w3m -dump -cols 80 -T text/html "$f"; echo; done; }
# man: the man pages named on stdin as a terminal shows them, unjustified and
# unhyphenated; pages that only point to another page (.so) are skipped.
man_text() {
    while read -r f; do
        gzip -dc "$f" >"$tmp/page"
        head -c 3 "$tmp/page" | grep -q '^\.so' && continue
        sed '/^\.TH/a .na\n.nh' "$tmp/page" | groff -mandoc -Tutf8 -rLL=78n -P-cbou 2>/dev/null
    done
}
# take BYTES: stdin, read whole (so no writer is cut off), up to the first
# line boundary at or after BYTES.
take() { cat >"$tmp/all"; awk -v cap="$1" '{ print; n += length($0) + 1; if (n >= cap) exit }' "$tmp/all"; }
# source_text NAME: stdin into $tmp/NAME.txt.
source_text() {
    cat >"$tmp/$1.txt"
    [ -s "$tmp/$1.txt" ] || { echo "build_corpus: source $1 came out empty" >&2; exit 1; }
    names+=("$1")
}
names=()

sources_v1() {
    gzip -dc /usr/share/dictd/gcide.dict.dz | source_text english
    python_stdlib | source_text code
}
python_stdlib() {
    { files libpython3.11-minimal '^/usr/lib/python3\.11/.*\.py$'
      files libpython3.11-stdlib '^/usr/lib/python3\.11/.*\.py$'; } | sort -u |
        grep -vE '/(test|tests|idle_test)/' | concat
}
sources_v2() {
    local mb=1000000
    gzip -dc /usr/share/dictd/gcide.dict.dz | take $((16 * mb)) | source_text dictionary
    gzip -dc /usr/share/dictd/wn.dict.dz | take $((5 * mb)) | source_text wordnet
    Rscript -e 'library(janeaustenr); for (b in c("sensesensibility", "prideprejudice",
        "mansfieldpark", "emma", "northangerabbey", "persuasion")) writeLines(get(b))' |
        source_text austen
    { files debian-handbook '/html/en-US/.*\.html$' | html
      files debian-reference-en '\.en\.html$' | html
      gzip -dc /usr/share/doc/gnu-standards/{standards,maintain}.text.gz; } | source_text manuals
    files python3.11-doc '/_sources/.*\.txt$' | spread $((8 * mb)) | concat | source_text python-doc
    { files manpages '/man/.*\.gz$'; files manpages-dev '/man/.*\.gz$'; } |
        spread $((1 * mb)) | man_text | take $((6 * mb)) | source_text man
    python_stdlib | source_text python
    for p in zlib1g-dev libssl-dev libsqlite3-dev libx11-dev liblua5.4-dev; do
        files "$p" '^/usr/include/.*\.h$'; done | concat | source_text c
    files libstdc++-12-dev '^/usr/include/' | spread $((5 * mb)) | concat | source_text cpp
    files golang-1.19-src '\.go$' | grep -v '/testdata/' | spread $((8 * mb)) | concat | source_text go
    files rust-src '/library/.*\.rs$' | spread $((6 * mb)) | concat | source_text rust
    files libruby3.1 '\.rb$' | spread $((5 * mb)) | concat | source_text ruby
    files tcllib '\.tcl$' | spread $((4 * mb)) | concat | source_text tcl
    { files lintian '\.(pm|pl)$'; files libdpkg-perl '\.pm$'; } | spread $((4 * mb)) | concat |
        source_text perl
    files bash-completion '/completions/' | concat | source_text shell
    files emacs-el '\.el\.gz$' | spread $((2 * mb)) | concat | take $((6 * mb)) | source_text elisp
    for p in "${pkgs[@]}"; do case "$p" in w3m | groff-base) ;; *)
        files "$p" "^/usr/share/doc/$p/changelog(\.Debian)?\.gz$" ;; esac; done | concat |
        take $((5 * mb)) | source_text changelogs
}

# split NAME: the first line boundary at or after 98% of the bytes starts validation.
split_source() {
    local f=$tmp/$1.txt n cut line
    n=$(stat -c %s "$f")
    cut=$(( n * 98 / 100 ))
    # tail is cut short by awk's exit (SIGPIPE), which is expected here.
    line=$(tail -c +$((cut + 1)) "$f" | awk '{ print length($0); exit }') || true
    cut=$(( cut + line + 1 ))
    head -c "$cut" "$f" >> "$out/train.txt"
    tail -c +$((cut + 1)) "$f" | tee -a "$out/val.txt" >"$out/val.$1.txt"
}
"sources_v$version"
: > "$out/train.txt"; : > "$out/val.txt"
for s in "${names[@]}"; do split_source "$s"; done
dpkg-query -W -f='${Package} ${Version}\n' "${pkgs[@]}" | tee "$out/packages.txt"
printf '%s\n' "${names[@]}" >"$out/sources.txt"
(cd "$out" && for s in "${names[@]}"; do
    printf '%10d  %s\n' "$(stat -c %s "$tmp/$s.txt")" "$s"; done &&
    wc -c train.txt val.txt | head -n 2 && sha256sum train.txt val.txt)
