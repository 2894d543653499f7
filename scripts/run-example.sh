#!/usr/bin/env bash
# Installs what is missing, builds lapa, and runs it on the bundled example,
# the tinyllama-kjv model in examples/:
#  1. lapa-translate imports config.json and model.safetensors as a
#     linalg-on-tensors module, the way a front end would emit it;
#  2. lapa-opt raises its attention to lapa.attention, tags the projections
#     and the layers around them, and counts each op's work;
#  3. lapa-opt reads one attention layer in its LAPA form (prediction,
#     selection, sparse execution) and prints each stage's operation counts.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
model="$root/examples/tinyllama-kjv"
flow="$root/examples/lapa/tinyllama-attention.mlir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh" release >/dev/null
bin="$root/build/bin"

echo "run: importing examples/tinyllama-kjv with lapa-translate"
"$bin/lapa-translate" --import-llama "$model" --weights=arguments -o "$work/model.mlir"

echo "run: raising attention and tagging the layers with lapa-opt"
"$bin/lapa-opt" "$work/model.mlir" --lapa-raise-attention --lapa-annotate-layers \
  --lapa-annotate-op-counts -o "$work/raised.mlir"
"$bin/lapa-opt" "$work/raised.mlir" -o /dev/null

echo "run: attention blocks found (one per layer)"
printf '  %-5s %-24s %-11s %-22s %10s %8s\n' index query scale mask macs exps
awk '
  /= lapa.attention / {
    match($0, /attention_index = [0-9]+/); index_ = substr($0, RSTART + 18, RLENGTH - 18)
    match($0, /scale\([^)]*\)/); scale = substr($0, RSTART + 6, RLENGTH - 7)
    mask = "none"
    if ($0 ~ /\) causal /) mask = "causal"
    if (match($0, /mask\([^)]*\)/)) { mask = substr($0, RSTART, RLENGTH); sub(/.*: /, "", mask); sub(/\)$/, "", mask) }
    match($0, /: tensor<[0-9x]+xf[0-9]+>, tensor/); query = substr($0, RSTART + 2, RLENGTH - 10)
    match($0, /macs = [0-9]+/); macs = substr($0, RSTART + 7, RLENGTH - 7)
    match($0, /exps = [0-9]+/); exps = substr($0, RSTART + 7, RLENGTH - 7)
    printf "  %-5s %-24s %-11s %-22s %10s %8s\n", index_, query, scale, mask, macs, exps
  }' "$work/raised.mlir"

echo "run: tagged ops by role"
{ grep -o 'lapa.projection = "[a-z]*"' "$work/raised.mlir" || true
  grep -o 'lapa.ffn = "[a-z]*"' "$work/raised.mlir" || true
  grep -o 'lapa.layer = "[a-z_]*"' "$work/raised.mlir" || true; } |
  sed 's/lapa\.//; s/ = /=/; s/"//g' | sort | uniq -c |
  awk '{ printf "  %-28s %3d\n", $2, $1 }'

echo "run: one layer in LAPA form ($(basename "$flow")), operation counts per op"
echo "     (bound 'upper' marks work that depends on the data)"
"$bin/lapa-opt" "$flow" | "$bin/lapa-opt" >/dev/null
"$bin/lapa-opt" "$flow" --lapa-annotate-op-counts |
  awk '
    /^ *func.func @/ { match($0, /@[A-Za-z0-9_]+/); func = substr($0, RSTART + 1, RLENGTH - 1) }
    /lapa.op_counts/ {
      match($0, /lapa\.[a-z_]+ /); op = substr($0, RSTART, RLENGTH - 1)
      match($0, /lapa.op_counts = \{[^}]*\}/); counts = substr($0, RSTART + 18, RLENGTH - 19)
      gsub(/ : i64/, "", counts); gsub(/"/, "", counts)
      printf "  %-10s %-22s %s\n", func, op, counts
    }'
