#!/usr/bin/env bash
# Times timing-only simulation of a compiled LLaMA-2-7B stream at sequence
# length 2048:
#   bench/sim-llama2048.sh BUILD_DIR [RUNS]
#
# The public LLaMA-2-7B graph is fixed at 40 tokens, so the importer builds
# a graph of the same dimensions (32 layers, hidden 4096, 32 heads of 128,
# feed-forward 11008, vocabulary 32000) at 2048 tokens with the weights as
# function arguments. It reads only the header of model.safetensors then,
# so the script writes a sparse file whose header declares the tensors.
# lapa-28nm's buffers cannot hold one 2048-token head (its K, V and K-hat
# alone need 768 KiB), so the stream is compiled for a variant of
# lapa-28nm with 4 MiB buffers (8 MiB of speculation buffer) and
# 256 x 256 x 1024 tiles. The variant is made by bench/large-sram.py from
# lapa-28nm.yaml; it is not a published design.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/sim-llama2048.sh BUILD_DIR [RUNS]}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {
  echo "+ $*"
  "$@"
}

python3 "$root/bench/llama2-7b-shape.py" "$work"

python3 "$root/bench/large-sram.py" "$root/examples/hw/lapa-28nm.yaml" \
  "$work/large-sram.yaml"
run "$build/bin/lapa-hw" check "$work/large-sram.yaml" > /dev/null

run "$build/bin/lapa-translate" --import-llama "$work" --weights=arguments \
  --seq-len=2048 -o "$work/model.mlir"
run /usr/bin/time -f "compile: %e s wall, %U s user, %M KiB peak" \
  "$build/bin/lapa-opt" "$work/model.mlir" \
  "--lapa-compile=hw=$work/large-sram.yaml predictor='lapa keep_ratio=0.25' row-tile=256 col-tile=256 inner-tile=1024" \
  -o "$work/model.mlirbc" --emit-bytecode
run "$build/bin/lapa-translate" --emit-stream "$work/model.mlirbc" \
  -o "$work/model.lapa"
echo "stream: $(stat -c %s "$work/model.lapa") bytes"

for i in $(seq "$runs"); do
  /usr/bin/time -f "lapa-sim run --timing-only: %e s wall, %U s user, %M KiB peak" \
    "$build/bin/lapa-sim" run "$work/model.lapa" \
    --config "$work/large-sram.yaml" --timing-only --quiet \
    --json "$work/report.json"
done
grep -E '"(instructions|cycles)":' "$work/report.json" | head -2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
