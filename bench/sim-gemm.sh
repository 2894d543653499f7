#!/usr/bin/env bash
# Measures the functional speed of lapa-sim on GEMM instructions against a
# float32 matrix product of the same shape in numpy on one thread.
#
# The stream computes C = A . B with A an INT8 [TILES*64 x 512] input and B an
# INT8 [512 x 64] weight. It runs one 64 x 64 x 512 GEMM per row tile of A,
# with a load of the A tile before it and a store of the C tile after it. It
# is written as assembly text, converted with lapa-translate and run with
# `lapa-sim run` (functional, race check on). The script checks the
# simulator's C against an exact integer product in numpy, then reports the
# best of RUNS wall times of each side and the ratio of their MAC rates.
#
# Dependency: numpy from Debian (python3-numpy) with OpenBLAS
# (libopenblas0-pthread) under /usr/bin/python3. When numpy is missing, the
# script installs both with apt-get, through sudo when it does not run as
# root. Nothing else in lapa needs numpy.
#
# Usage: bench/sim-gemm.sh BUILD_DIR [TILES] [RUNS]
#   TILES  row tiles of 64 rows, 2,097,152 MACs each (default 1024)
#   RUNS   timed runs of each side, the best one is reported (default 5)
set -euo pipefail

build=${1:?usage: bench/sim-gemm.sh BUILD_DIR [TILES] [RUNS]}
tiles=${2:-1024}
runs=${3:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
# Debian's interpreter: apt's python3-numpy is installed for it, and a
# python3 earlier in PATH (pyenv, a virtual environment) would not see it.
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints a command line, then runs it.
run() {
  echo "+ $*"
  "$@"
}

# Prints the best wall time in seconds of a command over $runs runs.
best_time() {
  local best=
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null || return 1
    end=$(date +%s%N)
    best=$(awk -v t="$(( end - start ))" -v b="$best" \
      'BEGIN { t /= 1e9; if (b == "" || t < b) print t; else print b }')
  done
  echo "$best"
}

if ! "$python" -c 'import numpy' 2>/dev/null; then
  sudo=
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  fi
  echo "numpy is missing for $python; installing python3-numpy and OpenBLAS"
  run $sudo apt-get install -y python3-numpy libopenblas0-pthread ||
    { run $sudo apt-get update && run $sudo apt-get install -y python3-numpy libopenblas0-pthread; }
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

# Copy the configuration once, so the stream and the run use the same file
# even if the checkout changes while the script runs.
cp "$root/examples/hw/lapa-28nm.yaml" "$work/hw.yaml"
fingerprint=$("$build/bin/lapa-hw" check "$work/hw.yaml" | awk '/fingerprint/ { print $2 }')

cat >"$work/gemm.py" <<'EOF'
"""Writes the GEMM stream and its inputs, checks outputs, times numpy."""
import json
import random
import struct
import sys
import time

M, N, K = 64, 64, 512  # one tile: C[M x N] = A[M x K] . B[K x N]


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path, name):
    with open(path, "rb") as f:
        data = f.read()
    length = struct.unpack("<Q", data[:8])[0]
    info = json.loads(data[8:8 + length])[name]
    begin, end = info["data_offsets"]
    return info, data[8 + length + begin:8 + length + end]


def generate(fingerprint, tiles, asm_path, inputs_path):
    rows = tiles * M
    a_address, b_address = 0, rows * K
    c_address = b_address + K * N
    lines = [
        f".stream version=1 fingerprint={fingerprint} config=lapa-28nm",
        f".tensor a role=input type=i8 shape=[{rows},{K}] address={a_address:#x}",
        f".tensor b role=weight type=i8 shape=[{K},{N}] address={b_address:#x}",
        f".tensor c role=output type=i32 shape=[{rows},{N}] address={c_address:#x}",
        # B stays in the weight buffer (b4) for the whole run.
        f"load dram={b_address:#x} dst=b4+0x0 rows={K} row_bytes={N} "
        f"dram_stride={N} buf_stride={N}",
    ]
    # Two slots of A in the token buffer (b3) and of C in the temp buffer
    # (b2). The DMA unit is in order and each store waits for its GEMM, so
    # the load of tile i + 2 comes after the GEMM of tile i has read its slot.
    for i in range(tiles):
        a_slot, c_slot = (i % 2) * M * K, (i % 2) * M * N * 4
        lines.append(
            f"load dram={a_address + i * M * K:#x} dst=b3+{a_slot:#x} rows={M} "
            f"row_bytes={K} dram_stride={K} buf_stride={K} signal=[mac]")
        lines.append(
            f"gemm a=b3+{a_slot:#x} b=b4+0x0 c=b2+{c_slot:#x} m={M} n={N} k={K} "
            f"lda={K} ldb={N} ldc={N} wait=[dma] signal=[dma]")
        lines.append(
            f"store dram={c_address + i * M * N * 4:#x} src=b2+{c_slot:#x} "
            f"rows={M} row_bytes={N * 4} dram_stride={N * 4} "
            f"buf_stride={N * 4} wait=[mac]")
    with open(asm_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    generator = random.Random(2026)
    write_safetensors(inputs_path, {
        "a": ("I8", [rows, K], generator.randbytes(rows * K)),
        "b": ("I8", [K, N], generator.randbytes(K * N)),
    })


def blas_library():
    """Names the BLAS shared object numpy loaded, from /proc/self/maps."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower()}
    return ", ".join(sorted(paths)) or "none found"


def check_and_time(inputs_path, outputs_path, tiles, runs):
    import numpy as np

    def array(path, name, dtype):
        info, raw = read_safetensors(path, name)
        return np.frombuffer(raw, dtype=dtype).reshape(info["shape"])

    a = array(inputs_path, "a", np.int8)
    b = array(inputs_path, "b", np.int8)
    c = array(outputs_path, "c", np.int32)
    expected = a.astype(np.int64) @ b.astype(np.int64)
    mismatches = int(np.count_nonzero(c != expected))
    print(f"simulator output c: {mismatches} of {c.size} entries differ "
          f"from the exact integer product")
    if mismatches:
        sys.exit(1)

    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    tiles32 = [a32[i * M:(i + 1) * M] for i in range(tiles)]

    def best(function):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return min(times)

    whole = best(lambda: a32 @ b32)
    per_tile = best(lambda: [tile @ b32 for tile in tiles32])
    print(f"numpy {np.__version__}, BLAS: {blas_library()}")
    print(f"numpy float32 [{tiles * M} x {K}] @ [{K} x {N}], one call: "
          f"best {whole:.4f} s")
    print(f"numpy float32 {tiles} calls of [{M} x {K}] @ [{K} x {N}]: "
          f"best {per_tile:.4f} s")
    print(f"NUMPY_WHOLE {whole}")
    print(f"NUMPY_TILES {per_tile}")


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        check_and_time(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                       int(sys.argv[5]))
EOF

run "$python" "$work/gemm.py" generate "$fingerprint" "$tiles" "$work/gemm.s" \
  "$work/inputs.safetensors"
run "$build/bin/lapa-translate" --import-stream --stream-hw="$work/hw.yaml" \
  "$work/gemm.s" -o "$work/gemm.mlir"
run "$build/bin/lapa-translate" --emit-stream "$work/gemm.mlir" -o "$work/gemm.lapa"

sim=("$build/bin/lapa-sim" run "$work/gemm.lapa" --config "$work/hw.yaml"
  --input "$work/inputs.safetensors" --output "$work/outputs.safetensors"
  --quiet --json "$work/report.json")
echo "+ ${sim[*]}"
sim_time=$(best_time "${sim[@]}")
grep -E '"(instructions|cycles|macs)":' "$work/report.json" | head -3
# The functional pass alone (executing the instructions), from --verbose;
# the whole run also reads the stream, allocates the DRAM image and runs
# the timing pass and race check.
pass_time=""
for _ in $(seq "$runs"); do
  line=$("${sim[@]}" --verbose 2>&1 | grep 'functional pass: [0-9]')
  seconds=$(sed -E 's/.* in ([0-9.]+) s.*/\1/' <<<"$line")
  if [ -z "$pass_time" ] || awk -v a="$seconds" -v b="$pass_time" 'BEGIN { exit !(a < b) }'; then
    pass_time=$seconds
  fi
done
echo "functional pass alone: best $pass_time s"

export OPENBLAS_NUM_THREADS=1
echo "+ OPENBLAS_NUM_THREADS=1 $python $work/gemm.py check $work/inputs.safetensors $work/outputs.safetensors $tiles $runs"
numpy_output=$("$python" "$work/gemm.py" check "$work/inputs.safetensors" \
  "$work/outputs.safetensors" "$tiles" "$runs")
grep -v '^NUMPY_' <<<"$numpy_output"
numpy_whole=$(awk '/^NUMPY_WHOLE/ { print $2 }' <<<"$numpy_output")
numpy_tiles=$(awk '/^NUMPY_TILES/ { print $2 }' <<<"$numpy_output")

macs=$(( tiles * 64 * 64 * 512 ))
awk -v macs="$macs" -v sim="$sim_time" -v whole="$numpy_whole" \
    -v tiles="$numpy_tiles" -v pass="$pass_time" 'BEGIN {
  printf "MACs: %.0f\n", macs
  printf "| side | best wall time (s) | GMAC/s | simulator / numpy |\n"
  printf "|---|---:|---:|---:|\n"
  printf "| lapa-sim run, whole process | %.3f | %.2f | %.3f |\n", sim,
    macs / sim / 1e9, whole / sim
  printf "| lapa-sim functional pass | %.3f | %.2f | %.3f |\n", pass,
    macs / pass / 1e9, whole / pass
  printf "| numpy float32, one call | %.4f | %.2f | %.3f |\n", whole,
    macs / whole / 1e9, whole / sim
  printf "| numpy float32, one call per tile | %.4f | %.2f | %.3f |\n", tiles,
    macs / tiles / 1e9, tiles / sim
}'
if awk -v sim="$pass_time" -v whole="$numpy_whole" 'BEGIN { exit !(whole / sim >= 0.5) }'; then
  echo "target (functional pass at least half numpy's one-call speed): met"
else
  echo "target (functional pass at least half numpy's one-call speed): NOT met"
fi
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
