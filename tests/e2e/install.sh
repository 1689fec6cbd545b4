#!/usr/bin/env bash
# install.sh: `make install` gives a tree a user can build against: titan.h,
# libtitan.a and libtitan.so (soname libtitan.so.0), pkg-config files, man
# pages and the example program's source. A program using only the public API
# (tests/e2e/lib/public_api.c) compiles against it with -Wall -Wextra -Werror
# -pedantic (as C11 and as C++) and runs: every backend, a model, generation,
# the tokenizer; linked with `pkg-config --libs titan` it uses the shared
# library, with `titan-static` the static one, and with `cc -static
# $(pkg-config --static --libs titan)` it is wholly static. The installed
# example (tools/examples/generate.c) builds the same way and prints what the
# built one does; the man pages render without warnings.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

make -s install PREFIX="$T/prefix" BUILD="$BUILD" SAN="${SAN:-0}" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log"; fail "make install"; }
P=$T/prefix
for f in bin/titan bin/titan-train lib/libtitan.a lib/libtitan.so lib/libtitan.so.0 \
         include/titan.h lib/pkgconfig/titan.pc lib/pkgconfig/titan-static.pc \
         share/man/man1/titan.1 share/man/man1/titan-train.1 \
         share/doc/titan/examples/generate.c; do
    [ -e "$P/$f" ] || fail "make install left out $f"
done
[ "$(readelf -d "$P/lib/libtitan.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = libtitan.so.0 ] ||
    fail "libtitan.so has no soname libtitan.so.0"
syms=$(nm -D --defined-only "$P/lib/libtitan.so" | awk 'NF == 3 && $2 ~ /[TDBR]/ { print $3 }')
[ -n "$syms" ] && ! grep -v '^titan_' <<<"$syms" || fail "libtitan.so exports symbols outside titan_*"
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion titan)" = "$("$P/bin/titan" --version | cut -d' ' -f2)" ] ||
    fail "pkg-config version differs from titan --version"
san=()
[ "${SAN:-0}" = 1 ] && san=(-fsanitize=address,undefined)
build() { # build OUT SOURCE PKG-CONFIG-ARGS...
    local out=$1 src=$2
    shift 2
    cc -std=c11 -Wall -Wextra -Werror -pedantic "${san[@]}" $(pkg-config --cflags "$@") \
        "$src" $(pkg-config --libs "$@") -o "$T/$out" || fail "$src does not build ($*)"
}
build public_api tests/e2e/lib/public_api.c titan
libs=$(LD_LIBRARY_PATH=$P/lib ldd "$T/public_api")
grep -q "libtitan.so.0 => $P/lib/libtitan.so.0" <<<"$libs" ||
    fail "pkg-config --libs titan does not link the shared library: $libs"
build public_api_static tests/e2e/lib/public_api.c titan-static
libs=$(ldd "$T/public_api_static")
! grep -q libtitan <<<"$libs" || fail "titan-static links the shared library"
c++ -x c++ -fsyntax-only -Wall -Wextra -Werror $(pkg-config --cflags titan) - <<<'#include <titan.h>' ||
    fail "titan.h is not usable from C++"
"$P/bin/titan" init --preset nano --seed 3 -o "$T/nano.tart" >/dev/null
for prog in public_api public_api_static; do
    out=$(LD_LIBRARY_PATH=$P/lib "$T/$prog" "$T/nano.tart") || fail "$prog: $out"
    [ "$out" = ok ] || fail "$prog said: $out"
done
if [ "${SAN:-0}" = 0 ]; then # no static sanitizer runtime
    cc -static -std=c11 $(pkg-config --static --cflags titan) tests/e2e/lib/public_api.c \
        $(pkg-config --static --libs titan) -o "$T/public_api_full_static" ||
        fail "cc -static with pkg-config --static --libs titan"
    dyn=$(readelf -d "$T/public_api_full_static")
    ! grep -q NEEDED <<<"$dyn" || fail "not static"
    [ "$("$T/public_api_full_static" "$T/nano.tart")" = ok ] || fail "static program"
fi
# The example as a user builds it from the installed tree, against the built one.
build generate "$P/share/doc/titan/examples/generate.c" titan
want=$("$BUILD/examples/generate" tools/data/model/nano.tart "Once upon" 24 0 2>/dev/null)
got=$(LD_LIBRARY_PATH=$P/lib "$T/generate" tools/data/model/nano.tart "Once upon" 24 0 2>/dev/null)
[ "$got" = "$want" ] && [ "${want#Once upon}" != "$want" ] || fail "installed example differs"
for m in titan titan-train; do
    warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$P/share/man/man1/$m.1" 2>&1) ||
        fail "man $m does not render"
    [ -z "$warn" ] || fail "man $m: $warn"
    [ "$(MANPATH=$P/share/man man -w $m)" = "$P/share/man/man1/$m.1" ] || fail "man -w $m"
done
echo "installed tree: shared, static and fully static programs, the example, man pages"
