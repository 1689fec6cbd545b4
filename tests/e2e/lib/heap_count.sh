# heap_count.sh: sourced after common.sh. heap_shim DIR builds the LD_PRELOAD
# shim tests/e2e/malloc_count.c into DIR (under AddressSanitizer it counts
# through the sanitizer's hooks, loaded after it); calls_of PROGRAM ARGS...
# prints the heap calls of one process; its stdout is left in $heap_dir/out
# and its largest request in bytes (titan's process arena) in
# $heap_dir/largest.
heap_shim() {
    heap_dir=$1
    heap_preload=$heap_dir/count.so
    local asan
    asan=$(ldd "$TITAN" | awk '$1 ~ /^libasan/ { print $3 }')
    if [ -n "$asan" ]; then
        cc -shared -fPIC -O1 -DSANITIZER_HOOKS -o "$heap_dir/count.so" tests/e2e/malloc_count.c ||
            fail "build shim"
        heap_preload="$asan $heap_dir/count.so"
    else
        cc -shared -fPIC -O1 -o "$heap_dir/count.so" tests/e2e/malloc_count.c || fail "build shim"
    fi
}

calls_of() {
    rm -f "$heap_dir/count" "$heap_dir/largest"
    MALLOC_COUNT_OUT="$heap_dir/count" MALLOC_COUNT_MAX="$heap_dir/largest" \
        LD_PRELOAD="$heap_preload" "$@" >"$heap_dir/out" 2>"$heap_dir/err" ||
        { cat "$heap_dir/err" >&2; fail "$*"; }
    [ -s "$heap_dir/count" ] || fail "the shim wrote no count: $*"
    cat "$heap_dir/count"
}
