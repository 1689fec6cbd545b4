# common.sh: sourced first by every e2e script, from the top of the tree.
# Any command that fails, in a pipeline too, fails the script and names its
# line; fail MSG fails with a message; skip MSG exits 77, which tests/run.sh
# counts as a skip, never as a pass. $TITAN and $TITAN_TRAIN default to
# $BUILD's binaries, so `BUILD=build bash tests/e2e/x.sh` runs one script.
set -Eeuo pipefail
trap 'echo "FAIL: ${BASH_SOURCE[0]}:$LINENO: exit $? from: $BASH_COMMAND" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

BUILD=${BUILD:-build}
TITAN=${TITAN:-$BUILD/titan}
TITAN_TRAIN=${TITAN_TRAIN:-$BUILD/titan-train}
[ -x "$TITAN" ] && [ -x "$TITAN_TRAIN" ] || fail "$TITAN or $TITAN_TRAIN not built"

# exits CODE CMD...: CMD exits with CODE (stdout dropped, stderr kept in
# $stderr); says what it got when not.
exits() {
    local want=$1 rc=0
    shift
    stderr=$("$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" = "$want" ] && return 0
    echo "exit $rc, want $want: $* (${stderr:0:300})" >&2
    return 1
}

# has PATTERN CMD...: CMD succeeds and its output matches PATTERN (read whole:
# no grep -q on a pipe, whose early exit would kill CMD with SIGPIPE).
has() {
    local pattern=$1 out
    shift
    out=$("$@") || return 1
    grep -q -- "$pattern" <<<"$out"
}
