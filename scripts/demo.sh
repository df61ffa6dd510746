#!/usr/bin/env bash
# The built-in demo (make demo): check the demo contract, then bring the emulated client site up
# in network namespaces, scan it from the technician's namespace within the contract's scope,
# and tear it down. Needs root. Output files land in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(pwd)/.venv/bin/scopeaudit"
mkdir -p out

echo "== 1. The demo contract: scopeaudit contract check fixtures/contracts/demo.yaml"
"$bin" contract check fixtures/contracts/demo.yaml || [ $? -le 1 ]

echo
echo "== 2. The emulated site (fixtures/lab/office.yaml), scanned from the technician's namespace"
"$bin" lab run fixtures/lab/office.yaml -- \
  "$bin" scan --contract "$(pwd)/fixtures/contracts/demo.yaml" --output "$(pwd)/out/demo-scan.json"
echo
echo "Snapshot: $(pwd)/out/demo-scan.json"
