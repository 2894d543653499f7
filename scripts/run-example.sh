#!/usr/bin/env bash
# Installs what is missing, builds lapa, and runs it on the bundled example:
# one tinyllama-kjv attention layer, dense and as the LAPA flow. lapa-opt
# parses the module, verifies it, prints it back (the round trip is checked
# by parsing the printed form again), and annotates every op with its
# operation counts, which this script prints as a table.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
example="$root/examples/lapa/tinyllama-attention.mlir"

"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh" release >/dev/null
lapa_opt="$root/build/bin/lapa-opt"

echo "run: round trip of $example"
"$lapa_opt" "$example" | "$lapa_opt" >/dev/null
echo "run: the module parses, verifies and reads back from its printed form"

echo "run: operation counts per op (bound 'upper' marks data-dependent work)"
"$lapa_opt" "$example" --lapa-annotate-op-counts |
  awk '
    /^ *func.func @/ { match($0, /@[A-Za-z0-9_]+/); func = substr($0, RSTART + 1, RLENGTH - 1) }
    /lapa.op_counts/ {
      match($0, /lapa\.[a-z_]+ /); op = substr($0, RSTART, RLENGTH - 1)
      match($0, /lapa.op_counts = \{[^}]*\}/); counts = substr($0, RSTART + 18, RLENGTH - 19)
      gsub(/ : i64/, "", counts); gsub(/"/, "", counts)
      printf "  %-10s %-22s %s\n", func, op, counts
    }'
