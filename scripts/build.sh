#!/usr/bin/env bash
# Configures and builds lapa with clang-22, lld and Ninja.
#   scripts/build.sh            release build in build/
#   scripts/build.sh sanitize   Debug + ASan + UBSan build in build-sanitize/
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-release}

case "$mode" in
  release)
    build_dir="$root/build"
    extra=(-DCMAKE_BUILD_TYPE=Release -DLAPA_ENABLE_SANITIZERS=OFF)
    ;;
  sanitize)
    build_dir="$root/build-sanitize"
    extra=(-DCMAKE_BUILD_TYPE=Debug -DLAPA_ENABLE_SANITIZERS=ON)
    ;;
  *)
    echo "build: error: unknown mode '$mode'; use 'release' or 'sanitize'" >&2
    exit 2
    ;;
esac

llvm_bin=/usr/lib/llvm-22/bin
if [ ! -f "$build_dir/build.ninja" ]; then
  echo "build: configuring $mode build in $build_dir"
  cmake -G Ninja -S "$root" -B "$build_dir" \
    -DCMAKE_C_COMPILER="$llvm_bin/clang" \
    -DCMAKE_CXX_COMPILER="$llvm_bin/clang++" \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT="$llvm_bin/lit" \
    "${extra[@]}"
fi

echo "build: building $mode in $build_dir"
cmake --build "$build_dir" --target all
