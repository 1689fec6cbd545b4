#!/usr/bin/env bash
# heldout_eval.sh [-m ART] [DIR] [-- EVAL_FLAGS...]: val_bpb of an artifact
# (default the shipped model, tools/data/model/nano.tart) on each held-out
# text of DIR (default build/heldout, built by tools/data/heldout.sh when
# missing), plain and adaptive (`titan eval --adapt`), beside xz -9e and
# Brotli q11 on the same bytes, as a Markdown table; EVAL_FLAGS go to
# `titan eval` (e.g. --ctx 256 --stride 128).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
art=tools/data/model/nano.tart dir=build/heldout flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        -m) art=$2; shift 2 ;;
        --) shift; flags=("$@"); break ;;
        -*) echo "usage: tools/data/heldout_eval.sh [-m ART] [DIR] [-- EVAL_FLAGS...]" >&2; exit 2 ;;
        *) dir=$1; shift ;;
    esac
done
[ -x "$BUILD/titan" ] || { echo "heldout_eval: build $BUILD/titan first (make)" >&2; exit 1; }
[ -s "$dir/prose-old.txt" ] || tools/data/heldout.sh "$dir" >&2
# field NAME: the number after "NAME": in the JSON object on stdin.
field() { grep -o "\"$1\": [-0-9.e+]*" | awk '{ print $2 }'; }
echo "| text | bytes | model bpb | adaptive bpb | xz -9e bpb | brotli q11 bpb |"
echo "|---|---:|---:|---:|---:|---:|"
for f in "$dir"/*.txt; do
    j=$("$BUILD/titan" eval -m "$art" --text "$f" --adapt --baselines --json "${flags[@]}")
    printf '| %s | %d | %.4f | %.4f | %.4f | %.4f |\n' "$(basename "$f" .txt)" \
        "$(stat -c %s "$f")" "$(field val_bpb <<<"$j")" "$(field adapt_val_bpb <<<"$j")" \
        "$(field xz_bpb <<<"$j")" "$(field brotli_bpb <<<"$j")"
done
