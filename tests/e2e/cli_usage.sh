#!/usr/bin/env bash
# cli_usage.sh: the command-line front ends answer help and reject bad usage
# with exit code 2 and a message on stderr.
. "$(dirname "$0")/lib/common.sh"
has 'inspect' "$TITAN" --help || fail "titan --help lists commands"
exits 2 "$TITAN" nonsense || fail "unknown command exits 2"
exits 2 "$TITAN" || fail "no command exits 2"
has 'tokenizer' "$TITAN_TRAIN" --help || fail "titan-train --help"
exits 2 "$TITAN_TRAIN" bogus || fail "titan-train unknown command"
# Writing to a device writes through it instead of renaming over it.
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
ln -s /dev/null "$out/sink"
"$TITAN" init --preset nano --seed 1 -o "$out/sink" || fail "init to a device"
[ -L "$out/sink" ] || fail "the link to the device was replaced by a file"
exits 1 "$TITAN" init --preset nano --seed 1 -o "$out" || fail "init to a directory exits 1"
echo "cli usage ok"
