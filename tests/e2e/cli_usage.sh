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
# Writing to a device writes through it instead of renaming over it.
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
ln -s /dev/null "$out/sink"
"$TITAN" init --preset nano --seed 1 -o "$out/sink" || fail "init to a device"
[ -L "$out/sink" ] || fail "the link to the device was replaced by a file"
"$TITAN" init --preset nano --seed 1 -o "$out" 2>/dev/null; [ $? = 1 ] || fail "init to a directory exits 1"
echo "cli usage ok"
