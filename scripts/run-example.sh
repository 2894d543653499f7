#!/usr/bin/env bash
# Installs what is missing, builds lapa, and runs lapa-run without
# arguments: the bundled tinyllama-kjv model (examples/tinyllama-kjv) on its
# reference window w0, compiled and simulated for LAPA, dense, Sanger, FACT,
# Energon and SpAtten, with one comparison table on standard output.
# docs/user-guide.md explains the table and the options.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

"$root/scripts/setup-deps.sh"
"$root/scripts/build.sh" release >/dev/null

"$root/build/bin/lapa-run"
