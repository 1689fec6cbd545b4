#!/usr/bin/env bash
# install.sh: `make install` gives a tree a user can build against: titan.h,
# libtitan.a and a pkg-config file; a program using only the public API
# (tests/e2e/lib/public_api.c) compiles against it with -Wall -Wextra -Werror
# -pedantic (as C11 and as C++) and runs: every backend, a model, generation,
# the tokenizer.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s install PREFIX="$T/prefix" BUILD="$BUILD" SAN="${SAN:-0}" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log"; fail "make install"; }
for f in bin/titan bin/titan-train lib/libtitan.a include/titan.h lib/pkgconfig/titan.pc; do
    [ -f "$T/prefix/$f" ] || fail "make install left out $f"
done
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
[ "$(pkg-config --modversion titan)" = "$("$T/prefix/bin/titan" --version | cut -d' ' -f2)" ] ||
    fail "pkg-config version differs from titan --version"
san=()
[ "${SAN:-0}" = 1 ] && san=(-fsanitize=address,undefined)
cc -std=c11 -Wall -Wextra -Werror -pedantic "${san[@]}" $(pkg-config --cflags titan) \
    tests/e2e/lib/public_api.c $(pkg-config --libs titan) -o "$T/public_api" ||
    fail "public_api.c does not build against the installed tree"
c++ -x c++ -fsyntax-only -Wall -Wextra -Werror $(pkg-config --cflags titan) - <<<'#include <titan.h>' ||
    fail "titan.h is not usable from C++"
"$T/prefix/bin/titan" init --preset nano --seed 3 -o "$T/nano.tart" >/dev/null
out=$("$T/public_api" "$T/nano.tart") || fail "public_api: $out"
[ "$out" = ok ] || fail "public_api said: $out"
echo "installed tree builds and runs a program against the public API"
