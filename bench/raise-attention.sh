#!/usr/bin/env bash
# Measures lapa-raise-attention on the public BERT-tiny, LLaMA-2-7B and MobileBERT graphs:
# the pass's own wall time (from --mlir-timing), next to the time upstream
# mlir-opt takes to parse and print the same file. Each figure is the median
# of 5 runs. Usage: bench/raise-attention.sh [MODELS_DIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
models=${1:-$root/../shared/models}
lapa_opt="$root/build/bin/lapa-opt"
mlir_opt=/usr/lib/llvm-22/bin/mlir-opt
runs=5

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Prints the median wall time in seconds of a command, over $runs runs.
time_command() {
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | awk '{ split($0, t, " - "); printf "%.4f\n", t[1] - t[2] }'
  done | median
}

# Prints the median wall time in seconds of the raising pass alone.
time_pass() {
  for _ in $(seq "$runs"); do
    "$lapa_opt" "$1" --lapa-raise-attention --mlir-timing -o /dev/null 2>&1 |
      awk '/LapaRaiseAttention/ { print $1 }'
  done | median
}

printf '| graph | attention raised | raising pass (s) | mlir-opt parse and print (s) |\n'
printf '|---|---:|---:|---:|\n'
for graph in \
    bert-tiny-mha-linalg/multi-head-attention-mlir22.mlir \
    buddy-mlir-llm-graphs/llama2_7b_prefill40_tosa22.mlir \
    buddy-mlir-llm-graphs/llama2_7b_prefill40_linalg22.mlir \
    mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir; do
  file="$models/$graph"
  raised=$("$lapa_opt" "$file" --lapa-raise-attention | grep -c '= lapa.attention' || true)
  printf '| %s | %s | %s | %s |\n' "$graph" "$raised" "$(time_pass "$file")" \
    "$(time_command "$mlir_opt" "$file" -o /dev/null)"
done
