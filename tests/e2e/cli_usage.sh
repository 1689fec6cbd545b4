#!/usr/bin/env bash
# cli_usage.sh: the command-line front ends answer help and reject bad usage
# with exit code 2 and a message on stderr.
set -u
fail() { echo "FAIL: $*"; exit 1; }
"$TITAN" --help | grep -q 'inspect' || fail "titan --help lists commands"
"$TITAN" nonsense 2>/dev/null; [ $? = 2 ] || fail "unknown command exits 2"
"$TITAN" 2>/dev/null; [ $? = 2 ] || fail "no command exits 2"
"$TITAN_TRAIN" --help | grep -q 'tokenizer' || fail "titan-train --help"
"$TITAN_TRAIN" bogus 2>/dev/null; [ $? = 2 ] || fail "titan-train unknown command"
echo "cli usage ok"
