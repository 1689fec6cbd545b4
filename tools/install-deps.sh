#!/usr/bin/env bash
# install-deps.sh [--test | --corpus]: install the Debian packages Titan needs,
# only those missing (runs apt-get as root, or through sudo). Without flags:
# what building and running takes (the quickstart, with its held-out texts).
# --test adds what the tests, fuzzing and `make model` take (cmocka, clang,
# PyTorch references, the version 1 corpus, Open MPI for titan-train-mpi,
# curl, jq, chromium and python3-websocket for the titan serve tests).
# --corpus adds to --test the packages version 2 of the corpus reads
# (tools/data/CORPUS.md; about 1 GB installed).
set -eu
pkgs=(build-essential liblzma-dev libbrotli-dev libmicrohttpd-dev
      dict-devil debian-policy libc6-dev perl-modules-5.36 gpgv) # tools/data/heldout.sh
case "${1:-}" in
    "") ;;
    --test | --corpus) pkgs+=(libcmocka-dev clang libclang-rt-14-dev valgrind xz-utils brotli
                   python3 python3-numpy python3-torch python3-sentencepiece sentencepiece
                   libopenblas0-pthread dict-gcide libpython3.11-stdlib pkgconf clang-format groff-base man-db
                   bsdutils openmpi-bin libopenmpi-dev curl jq chromium python3-websocket) ;;
    *) echo "usage: tools/install-deps.sh [--test | --corpus]" >&2; exit 2 ;;
esac
[ "${1:-}" = --corpus ] &&
    pkgs+=(dict-wn r-cran-janeaustenr debian-handbook debian-reference-en gnu-standards
           python3.11-doc manpages manpages-dev zlib1g-dev libssl-dev libsqlite3-dev libx11-dev
           liblua5.4-dev libstdc++-12-dev golang-1.19-src rust-src libruby3.1 tcllib lintian
           libdpkg-perl bash-completion emacs-el w3m)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
