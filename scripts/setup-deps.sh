#!/usr/bin/env bash
# Installs the Debian packages lapa builds with, when they are missing.
# Uses sudo when not run as root. Prints what it installs; installs nothing
# when everything is present.
set -euo pipefail

# libclang-rt-22-dev contains the AddressSanitizer and UndefinedBehaviorSanitizer
# runtimes of the sanitizer build. apt leaves it out with
# --no-install-recommends.
packages=(
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22 lld
  libclang-rt-22-dev cmake ninja-build libgtest-dev libzstd-dev libedit-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null \
      | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup: all build packages are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  echo "setup: error: missing packages ${missing[*]} and not root; install" \
    "them as root or install sudo" >&2
  exit 1
fi

echo "setup: installing missing packages: ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
  --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}"
