#!/bin/sh
# Times lapa-sim's timing-only mode on a synthetic stream with the
# instruction mix of LLaMA-2-7B (32 layers, hidden size 4096) at sequence
# length 2048. The stream comes from sim-stream-gen; it is not a compiled
# model, so it measures simulator speed only.
#
# Usage: bench/sim-timing-only.sh BUILD_DIR
set -eu
build=${1:?usage: bench/sim-timing-only.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/bin/sim-stream-gen" synthetic "$root/examples/hw/lapa-28nm.yaml" \
  "$work/llama2-7b.lapa" 32 2048 4096
echo "stream: $(($(wc -c < "$work/llama2-7b.lapa") / 64)) instructions (approximately)"
/usr/bin/time -f "wall %e s, user %U s, max RSS %M KiB" \
  "$build/bin/lapa-sim" run "$work/llama2-7b.lapa" \
  --config "$root/examples/hw/lapa-28nm.yaml" --timing-only \
  --survivor-fraction 0.5 --quiet --json "$work/report.json"
grep -E '"(instructions|cycles)":' "$work/report.json" | head -2
