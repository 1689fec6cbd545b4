# expect.sh: sourced by e2e scripts after lib/common.sh.
# expect CODE DESCRIPTION cmd...: cmd exits with CODE and says why on stderr
# (kept in $stderr).
expect() {
    local want=$1 what=$2
    shift 2
    exits "$want" "$@" || fail "$what"
    [ -n "$stderr" ] || fail "$what: no message"
}
