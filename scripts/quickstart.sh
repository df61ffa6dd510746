#!/usr/bin/env bash
# Quick start, first command: install everything, then run the demo (make demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# make is installed by install.sh; call it only now.
make demo
