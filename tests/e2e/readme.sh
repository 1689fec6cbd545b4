#!/usr/bin/env bash
# readme.sh: the README's commands work as written.
#  - Its first two commands stay the quickstart and the test run.
#  - Every code block of "The four jobs" runs, in order, in a scratch
#    directory that sees the tree's folders (build/ is $BUILD), with three
#    changes only to keep it short: the example texts cut to 20 kB, training
#    4 steps instead of 300 (validating on 300 tokens), GPTQ calibrated on
#    2000 tokens. Each block must exit 0 and make the files it names.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# The code blocks of README.md, one file each: $T/block.N
awk -v dir="$T" '
    /^## / { jobs = ($0 == "## The four jobs") }
    /^```/ { if (inblock) { inblock = 0 } else { inblock = 1; n++ }; next }
    inblock { print > (dir "/block." n); if (jobs) print n > (dir "/jobs.tmp") }
' README.md
[ "$(cat "$T/block.1")" = "tools/quickstart.sh" ] || fail "README's first command changed"
[ "$(cat "$T/block.2")" = "tools/install-deps.sh --test && make test" ] ||
    fail "README's second command changed"
jobs=$(sort -un "$T/jobs.tmp")
[ "$(wc -w <<<"$jobs")" -ge 5 ] || fail "README's jobs have only blocks: $jobs"

W=$T/work
mkdir "$W"
for d in core platform formats quant include tools tests; do ln -s "$PWD/$d" "$W/$d"; done
ln -s "$PWD/$BUILD" "$W/build"
for n in $jobs; do
    sed -e 's/\(> \(my\|val\)\.txt\)$/\1 \&\& truncate -s 20000 \2.txt/' \
        -e 's/--steps 300/--steps 4 --val-every 2 --val-tokens 300/' \
        -e 's/--calib my.txt/--calib my.txt --calib-tokens 2000/' "$T/block.$n" >"$T/run.$n"
    (cd "$W" && bash -euo pipefail "$T/run.$n") >"$T/out.$n" 2>&1 ||
        fail "README block $n failed:
$(cat "$T/block.$n")
$(tail -20 "$T/out.$n")"
    # every file a block writes with -o, > or --safetensors exists and is not empty
    for f in $(grep -oE '(-o|>|--safetensors) [A-Za-z0-9_.-]+' "$T/block.$n" | awk '{print $2}' || true); do
        [ -s "$W/$f" ] || fail "README block $n did not make $f"
    done
done
grep -q "^val_bpb " "$T"/out.* || fail "no val_bpb printed by the README's eval"
grep -q "^total submission size " "$T"/out.* || fail "no submission size from the pack example"
grep -q "^done: 4 steps" "$T"/out.* || fail "no training summary"
echo "readme ok ($(wc -w <<<"$jobs") blocks run)"
