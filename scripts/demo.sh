#!/usr/bin/env bash
# The built-in demo (make demo): check the demo contract, bring the emulated client site up in
# network namespaces, run a real audit of it from the technician's namespace, write the reports
# (HTML, PDF, amendment, JSON), print their paths, and bring the site down. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
bin="$repo/.venv/bin/scopeaudit"
contract="$repo/fixtures/contracts/demo.yaml"
out="$repo/out"
name="demo$(( $$ % 10000 ))"
mkdir -p "$out"

echo "== 1. The demo contract: scopeaudit contract check fixtures/contracts/demo.yaml"
"$bin" contract check "$contract" || [ $? -le 1 ]

echo
echo "== 2. The emulated client site (fixtures/lab/office.yaml)"
"$bin" lab up fixtures/lab/office.yaml --name "$name"
trap '"$bin" lab down --name "$name" >/dev/null 2>&1 || true' EXIT INT TERM

echo
echo "== 3. A real audit, from the technician's namespace (exit 1: the site drifted from the contract)"
status=0
# The demo keeps its own run store, new each time, so that it always shows a first audit.
rm -f "$out"/runs.sqlite*
"$bin" lab exec --name "$name" -- "$bin" audit "$contract" --save-snapshot "$out/demo-scan.json" \
  --store "$out/runs.sqlite" || status=$?
[ "$status" -le 1 ] || exit "$status"

echo
echo "== 4. The reports, from that scan's snapshot"
for spec in "json:audit.json" "html:rapport.html" "pdf:rapport.pdf" "amendment:avenant.html" \
  "amendment:avenant.pdf" "amendment:avenant.md"; do
  "$bin" audit "$contract" --snapshot "$out/demo-scan.json" --format "${spec%%:*}" \
    --output "$out/${spec#*:}" --number 1 --effective-date 2027-01-01 --no-store || [ $? -le 1 ]
done

"$bin" lab down --name "$name"
trap - EXIT INT TERM
echo
echo "Demo done. Files:"
for file in demo-scan.json audit.json rapport.html rapport.pdf avenant.html avenant.pdf avenant.md; do
  echo "  $out/$file"
done
