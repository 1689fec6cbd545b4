#!/usr/bin/env bash
# malloc_free.sh: SPEC section 5. Counts heap calls (LD_PRELOAD shim
# tests/e2e/malloc_count.c, built here) in processes running `titan run` and
# `titan eval` over different token counts, and in the example program of the
# library's high-level helper: the count must not grow with the tokens
# processed, i.e. the runtime never allocates. Under AddressSanitizer
# the shim counts through the sanitizer's allocator hooks, loaded after it.
. "$(dirname "$0")/lib/common.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
preload=$dir/count.so
asan=$(ldd "$TITAN" | awk '$1 ~ /^libasan/ { print $3 }')
if [ -n "$asan" ]; then
    cc -shared -fPIC -O1 -DSANITIZER_HOOKS -o "$dir/count.so" tests/e2e/malloc_count.c ||
        fail "build shim"
    preload="$asan $dir/count.so"
else
    cc -shared -fPIC -O1 -o "$dir/count.so" tests/e2e/malloc_count.c || fail "build shim"
fi
"$TITAN" init --preset nano --seed 2 -o "$dir/nano.art" >/dev/null || fail "init"

# calls_of PROGRAM ARGS...: heap calls of one process
calls_of() {
    rm -f "$dir/count"
    MALLOC_COUNT_OUT="$dir/count" LD_PRELOAD="$preload" "$@" \
        >/dev/null 2>"$dir/err" || { cat "$dir/err" >&2; fail "$*"; }
    [ -s "$dir/count" ] || fail "the shim wrote no count: $*"
    cat "$dir/count"
}
calls() { calls_of "$TITAN" "$@"; } # calls ARGS...: of one titan process
for mode in "--greedy" "--temp 1 --seed 3" "--greedy --speculative"; do
    for be in cpu ref; do
        a=$(calls run -m "$dir/nano.art" -p "Once upon" -n 4 $mode --backend $be)
        b=$(calls run -m "$dir/nano.art" -p "Once upon" -n 60 $mode --backend $be)
        echo "run $mode --backend $be: $a heap calls for 4 tokens, $b for 60"
        [ "$a" -gt 0 ] || fail "the shim counted nothing"
        [ "$a" = "$b" ] || fail "heap calls grow with tokens ($a -> $b)"
    done
done
head -c 300 tests/e2e/malloc_count.c >"$dir/short.txt"
cat tests/e2e/malloc_count.c tests/e2e/malloc_count.c >"$dir/long.txt"
for be in cpu ref; do
    a=$(calls eval -m "$dir/nano.art" --text "$dir/short.txt" --ctx 64 --stride 32 --threads 2 --backend $be)
    b=$(calls eval -m "$dir/nano.art" --text "$dir/long.txt" --ctx 64 --stride 32 --threads 2 --backend $be)
    echo "eval --backend $be: $a heap calls for 300 bytes, $b for $(stat -c %s "$dir/long.txt")"
    [ "$a" -gt 0 ] || fail "the shim counted nothing"
    [ "$a" = "$b" ] || fail "eval heap calls grow with tokens ($a -> $b)"
done
# The library's high-level helper (titan_session_*), in the example program:
# its one block is all the memory generation uses.
for mode in 0 7; do # greedy, sampled
    a=$(calls_of "$BUILD/examples/generate" "$dir/nano.art" "Once upon" 4 $mode)
    b=$(calls_of "$BUILD/examples/generate" "$dir/nano.art" "Once upon" 60 $mode)
    echo "examples/generate (seed $mode): $a heap calls for 4 tokens, $b for 60"
    [ "$a" = "$b" ] || fail "the session helper's heap calls grow with tokens ($a -> $b)"
done
echo "malloc-free ok"
