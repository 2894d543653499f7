#!/usr/bin/env bash
# Measures the full compile of each public model to a binary instruction
# stream, next to the time upstream mlir-opt takes to parse and print the
# same input, then simulates the compiled tinyllama-kjv and LLaMA-2-7B
# streams in timing-only mode.
#
# The full compile is `lapa-opt --lapa-compile=... --emit-bytecode` followed
# by `lapa-translate --emit-stream`. Each time is the best of RUNS runs; the
# full-compile time is the best per-run sum of the two steps. One extra
# lapa-opt run with --mlir-timing gives the breakdown by pass. The inputs:
#   - tinyllama-kjv, imported by lapa-translate at sequence 128 with the
#     weights embedded as constants (the import is not timed);
#   - the BERT-tiny attention layer;
#   - LLaMA-2-7B prefill at sequence 40 (linalg form, weights as
#     arguments), with LAPA at keep ratio 0.25 and with dense attention;
#   - MobileBERT, read as a program of steps, with its mask and token-type
#     inputs bound to 1 and 0 (bind-inputs=arg1=1,arg2=0).
#
# Usage: bench/compile.sh BUILD_DIR [MODELS_DIR] [RUNS]
#   MODELS_DIR  folder of the public graphs (default: ../shared/models next
#               to the checkout)
#   RUNS        timed runs of each command (default 5)
set -euo pipefail

build=${1:?usage: bench/compile.sh BUILD_DIR [MODELS_DIR] [RUNS]}
root=$(cd "$(dirname "$0")/.." && pwd)
models=${2:-$root/../shared/models}
runs=${3:-5}
lapa_opt="$build/bin/lapa-opt"
lapa_translate="$build/bin/lapa-translate"
lapa_sim="$build/bin/lapa-sim"
mlir_opt=$(command -v mlir-opt-22 || echo /usr/lib/llvm-22/bin/mlir-opt)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the wall time in seconds of a command whose output is discarded.
wall_time() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  awk -v t="$(( end - start ))" 'BEGIN { printf "%.4f\n", t / 1e9 }'
}

# Prints the smallest of the numbers on standard input.
minimum() { sort -g | head -1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "mlir-opt: $mlir_opt ($("$mlir_opt" --version | grep -m1 -i version | sed 's/^ *//'))"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# Copy the configuration once, so every compile and simulation uses the same
# file even if the checkout changes while the script runs.
hw="$work/hw.yaml"
cp "$root/examples/hw/lapa-28nm.yaml" "$hw"

tinyllama="$work/tinyllama-kjv-128.mlir"
echo "+ $lapa_translate --import-llama $root/examples/tinyllama-kjv --weights=embedded --seq-len=128 -o $tinyllama"
"$lapa_translate" --import-llama "$root/examples/tinyllama-kjv" \
  --weights=embedded --seq-len=128 -o "$tinyllama"

# name|input|predictor|further lapa-compile options
cases=(
  "tinyllama-kjv, sequence 128|$tinyllama|lapa keep_ratio=0.25"
  "BERT-tiny attention layer|$models/bert-tiny-mha-linalg/multi-head-attention-mlir22.mlir|lapa keep_ratio=0.25"
  "LLaMA-2-7B, sequence 40|$models/buddy-mlir-llm-graphs/llama2_7b_prefill40_linalg22.mlir|lapa keep_ratio=0.25"
  "LLaMA-2-7B, sequence 40|$models/buddy-mlir-llm-graphs/llama2_7b_prefill40_linalg22.mlir|dense"
  "MobileBERT|$models/mobilebert-squad-linalg/mobilebert-linalg-stripped-mlir22.mlir|lapa keep_ratio=0.25|bind-inputs=arg1=1,arg2=0"
)

results=()
breakdowns=()
llama_ratio=
for index in "${!cases[@]}"; do
  IFS='|' read -r name input predictor extra <<<"${cases[$index]}"
  bytecode="$work/case$index.mlirbc"
  stream="$work/case$index.lapa"
  pipeline="hw=$hw predictor='$predictor' ${extra:-}"
  echo
  echo "== $name, predictor '$predictor'"
  echo "+ $lapa_opt $input --lapa-compile=\"$pipeline\" -o $bytecode --emit-bytecode"
  echo "+ $lapa_translate --emit-stream $bytecode -o $stream"
  echo "+ $mlir_opt $input -o /dev/null"

  parse=$(for _ in $(seq "$runs"); do wall_time "$mlir_opt" "$input" -o /dev/null; done | minimum)

  # One run with the pass breakdown. When it fails, the model does not
  # compile, and the table records the diagnostic.
  if ! "$lapa_opt" "$input" --lapa-compile="$pipeline" -o "$bytecode" \
      --emit-bytecode --mlir-timing >"$work/timing.txt" 2>&1; then
    diagnostic=$(grep -m1 'error:' "$work/timing.txt" | sed -E 's/^.*:([0-9]+:[0-9]+): error: /line \1: /')
    failed=$(wall_time "$lapa_opt" "$input" --lapa-compile="$pipeline" -o "$bytecode" --emit-bytecode || true)
    echo "compile failed after $failed s: $diagnostic"
    results+=("| $name | $predictor | fails: $diagnostic | | | | $parse | | |")
    continue
  fi
  breakdown=$(awk '
    /Parser|LapaRaiseAttention|LapaAnnotateLayers|LapaInsertPrediction|LapaLowerToIsa|Output|Total$/ {
      time[$NF] = $1
    }
    END {
      printf "%s | %s | %s | %s | %s | %s | %s", time["Parser"],
        time["LapaRaiseAttention"], time["LapaAnnotateLayers"],
        time["LapaInsertPrediction"], time["LapaLowerToIsa"], time["Output"],
        time["Total"]
    }' "$work/timing.txt")
  breakdowns+=("| $name | $predictor | $breakdown |")

  compile_times=()
  translate_times=()
  totals=()
  for _ in $(seq "$runs"); do
    c=$(wall_time "$lapa_opt" "$input" --lapa-compile="$pipeline" -o "$bytecode" --emit-bytecode)
    t=$(wall_time "$lapa_translate" --emit-stream "$bytecode" -o "$stream")
    compile_times+=("$c")
    translate_times+=("$t")
    totals+=("$(awk -v c="$c" -v t="$t" 'BEGIN { printf "%.4f\n", c + t }')")
  done
  compile=$(printf '%s\n' "${compile_times[@]}" | minimum)
  translate=$(printf '%s\n' "${translate_times[@]}" | minimum)
  total=$(printf '%s\n' "${totals[@]}" | minimum)
  ratio=$(awk -v t="$total" -v p="$parse" 'BEGIN { printf "%.1f", t / p }')
  instructions=$("$lapa_translate" --emit-stream-asm "$bytecode" | grep -vc '^[.#]')
  bytes=$(wc -c <"$stream")
  echo "lapa-opt $compile s, lapa-translate $translate s, full $total s, mlir-opt $parse s, ratio $ratio"
  echo "$instructions instructions, stream file $bytes bytes"
  results+=("| $name | $predictor | $compile | $translate | $total | $parse | $ratio | $instructions | $bytes |")
  if [[ $name == LLaMA-2-7B* && $predictor == lapa* ]]; then
    llama_ratio=$ratio
    cp "$stream" "$work/llama2-7b.lapa"
  fi
  if [[ $name == tinyllama* ]]; then
    cp "$stream" "$work/tinyllama-kjv.lapa"
  fi
done

echo
echo "Full compile (best of $runs runs, seconds):"
echo
echo "| model | predictor | lapa-opt | lapa-translate | full compile | mlir-opt parse and print | ratio | instructions | stream bytes |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${results[@]}"
echo
echo "lapa-opt --mlir-timing breakdown (one run, seconds):"
echo
echo "| model | predictor | parser | raise attention | annotate layers | insert prediction | lower to ISA | output | total |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${breakdowns[@]}"
echo
if [ -n "$llama_ratio" ] && awk -v r="$llama_ratio" 'BEGIN { exit !(r <= 5) }'; then
  echo "target (LLaMA-2-7B full compile within 5x of parse and print): met, ratio $llama_ratio"
else
  echo "target (LLaMA-2-7B full compile within 5x of parse and print): NOT met, ratio ${llama_ratio:-none}"
fi

# Timing-only simulation of the compiled streams, with the default
# assumptions (--needed-fraction 1, --survivor-fraction 1).
echo
echo "Timing-only simulation (best of $runs runs):"
echo
sim_rows=()
for model in tinyllama-kjv llama2-7b; do
  stream="$work/$model.lapa"
  [ -f "$stream" ] || continue
  command=("$lapa_sim" run "$stream" --config "$hw" --timing-only --quiet --json "$work/$model.json")
  echo "+ ${command[*]}"
  wall=$(for _ in $(seq "$runs"); do wall_time "${command[@]}"; done | minimum)
  cycles=$(grep -m1 '"cycles":' "$work/$model.json" | tr -dc '0-9')
  count=$(grep -m1 '"instructions":' "$work/$model.json" | tr -dc '0-9')
  sim_rows+=("| $model | $count | $cycles | $wall |")
done
echo
echo "| stream | instructions | simulated cycles | wall time (s) |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${sim_rows[@]}"
echo
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
