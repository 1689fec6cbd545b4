#!/usr/bin/env bash
# install-deps.sh: install the Debian packages Titan builds and tests with,
# only those missing (runs apt-get as root, or through sudo).
set -eu
pkgs=(build-essential liblzma-dev libbrotli-dev libcmocka-dev clang
      libclang-rt-14-dev valgrind xz-utils brotli
      python3 python3-numpy python3-torch python3-sentencepiece sentencepiece
      libopenblas0-pthread dict-gcide)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
