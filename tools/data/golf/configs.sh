#!/usr/bin/env bash
# configs.sh [--check]: tools/data/golf/PRESET.json for every golf preset,
# written by `titan init --preset PRESET --config-out` (`make golf-configs`).
# --check compares instead of writing (tests/e2e/golf_configs.sh), so the
# presets in core/config.c stay the one home of these shapes. GOLF_DIR: the
# directory of the files (default tools/data/golf).
set -euo pipefail
cd "$(dirname "$0")/../../.."
titan=${BUILD:-build}/titan
dir=${GOLF_DIR:-tools/data/golf}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for preset in golf-1.1531 golf-1.0785 golf-cpu; do
    $titan init --preset "$preset" --config-out "$tmp/$preset.json"
    if [ "${1:-}" = --check ]; then
        cmp -s "$tmp/$preset.json" "$dir/$preset.json" || {
            echo "configs.sh: $dir/$preset.json differs from preset $preset" \
                "(make golf-configs)" >&2
            status=1
        }
    else
        cp "$tmp/$preset.json" "$dir/$preset.json"
    fi
done
exit $status
