# expect.sh: sourced by e2e scripts that set $T (a scratch dir) and fail().
# expect CODE DESCRIPTION cmd...: cmd exits with CODE and says why on stderr.
expect() {
    local want=$1 what=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; local rc=$?
    [ $rc = "$want" ] || fail "$what: exit $rc, want $want ($(head -c 300 "$T/err"))"
    [ -s "$T/err" ] || fail "$what: no message"
}
