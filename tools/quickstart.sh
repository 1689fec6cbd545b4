#!/usr/bin/env bash
# quickstart.sh: the README's first command. Installs what is missing, builds,
# and runs the main job on the built-in default model.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
make -j"$(nproc)" >/dev/null
mkdir -p build/demo
build/titan init --preset nano --seed 1 -o build/demo/nano.tart
build/titan inspect build/demo/nano.tart
