#!/usr/bin/env bash
# Install everything scopeaudit and its tests need on Debian 12 / Ubuntu, as root:
# the system packages (apt) and the project's virtual environment (.venv).
# Idempotent: run it again to repair or update an installation.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it installs Debian packages and uses network namespaces)." >&2
  exit 2
fi

APT_PACKAGES=(
  python3 python3-venv python3-dev ca-certificates
  iproute2 nftables procps kmod util-linux systemd
  nmap arp-scan tcpdump make gcc
  snmpd snmp lldpd
  chromium fonts-dejavu-core poppler-utils
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these daemons on install; the lab runs its own instances per namespace.
  for svc in snmpd lldpd; do
    if command -v systemctl >/dev/null 2>&1; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
    pkill -x "$svc" >/dev/null 2>&1 || true
  done
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e '.[test,lint]'
echo "install.sh: ready ($(.venv/bin/scopeaudit --version | head -n 1))"
