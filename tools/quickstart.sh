#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs what building takes,
# builds, and runs the main job on the shipped default model
# (tools/data/model/nano.tart, `make model` rebuilds it): generates text from
# a prompt, then scores the shipped validation excerpt next to xz and Brotli,
# and the start of five held-out texts of other kinds (packages no training
# corpus reads, tools/data/heldout.sh), plain and adaptive (`eval --adapt`).
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j"$(nproc)" build/titan >/dev/null
model=tools/data/model
build/titan inspect "$model/nano.tart" | grep -E "^(artifact|config|tokenizer|tensors|total) "
echo "== titan run"
build/titan run -m "$model/nano.tart" -p "def main(argv):" -n 96 --temp 0.8 --top-k 40 --seed 1
echo
echo "== titan eval ($model/val_excerpt.txt, held-out text)"
build/titan eval -m "$model/nano.tart" --text "$model/val_excerpt.txt" --ctx 256 --stride 128 --baselines
echo
echo "== titan eval on held-out texts (30 kB of each; tools/data/heldout_eval.sh)"
tools/data/heldout.sh --cap 30000 build/heldout-30k >/dev/null
tools/data/heldout_eval.sh build/heldout-30k -- --ctx 256 --stride 128
