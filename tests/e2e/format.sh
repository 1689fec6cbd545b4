#!/usr/bin/env bash
# format.sh: every C file is as .clang-format lays it out (clang-format 14,
# Debian 12's), so a change never mixes layout into its diff.
. "$(dirname "$0")/lib/common.sh"
command -v clang-format >/dev/null || fail "clang-format not installed (tools/install-deps.sh --test)"
files=$(git ls-files '*.c' '*.h')
[ -n "$files" ] || fail "no C files found"
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files || fail "not formatted: run clang-format -i on the files above"
echo "format ok ($(wc -w <<<"$files") files)"
