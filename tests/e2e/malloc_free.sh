#!/usr/bin/env bash
# malloc_free.sh: SPEC section 5. Counts heap calls (LD_PRELOAD shim
# tests/e2e/malloc_count.c, built here) in processes running `titan run` (and
# `titan eval` when it exists) over different token counts: the count must
# not grow with the tokens processed, i.e. the runtime never allocates.
set -u
fail() { echo "FAIL: $*"; exit 1; }
if [ "${SAN:-0}" = 1 ]; then
    echo "skip: the shim cannot sit before the sanitizer runtime (plain build runs it)"
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -shared -fPIC -O1 -o "$dir/count.so" tests/e2e/malloc_count.c || fail "build shim"
"$TITAN" init --preset nano --seed 2 -o "$dir/nano.art" >/dev/null || fail "init"

# calls ARGS...: heap calls of one titan process
calls() {
    MALLOC_COUNT_OUT="$dir/count" LD_PRELOAD="$dir/count.so" "$TITAN" "$@" \
        >/dev/null 2>"$dir/err" || { cat "$dir/err"; fail "titan $*"; }
    cat "$dir/count"
}
for mode in "--greedy" "--temp 1 --seed 3" "--greedy --speculative"; do
    for be in cpu ref; do
        a=$(calls run -m "$dir/nano.art" -p "Once upon" -n 4 $mode --backend $be)
        b=$(calls run -m "$dir/nano.art" -p "Once upon" -n 60 $mode --backend $be)
        echo "run $mode --backend $be: $a heap calls for 4 tokens, $b for 60"
        [ "$a" -gt 0 ] || fail "the shim counted nothing"
        [ "$a" = "$b" ] || fail "heap calls grow with tokens ($a -> $b)"
    done
done
if "$TITAN" eval --help 2>&1 | grep -q -- "--text"; then
    head -c 300 tests/e2e/malloc_count.c >"$dir/short.txt"
    cat tests/e2e/malloc_count.c tests/e2e/malloc_count.c >"$dir/long.txt"
    a=$(calls eval -m "$dir/nano.art" --text "$dir/short.txt" --ctx 64 --stride 32 --threads 1)
    b=$(calls eval -m "$dir/nano.art" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 1)
    echo "eval: $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
    [ "$a" = "$b" ] || fail "eval heap calls grow with tokens ($a -> $b)"
else
    echo "skip eval: titan eval not available yet"
fi
echo "malloc-free ok"
