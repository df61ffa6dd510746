#!/usr/bin/env bash
# Install the scheduled agent: user `scopeaudit`, /etc/scopeaudit/agent.yaml (kept if present),
# /var/lib/scopeaudit, the systemd service and timer (or the cron.d file without systemd), and
# scopeaudit itself in /opt/scopeaudit/.venv when it is not there yet. Idempotent: run it again
# to repair or update; an edited agent.yaml is never overwritten.
#
# Usage: agent/install.sh [--root DIR] [--no-enable] [--cron]
#   --root DIR   install the files under DIR only (a staging tree: no user, no systemctl, no venv)
#   --no-enable  install the units without enabling the timer
#   --cron       install /etc/cron.d/scopeaudit-agent instead of the systemd units
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="" enable=1 cron=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a folder}"; shift 2 ;;
    --no-enable) enable=0; shift ;;
    --cron) cron=1; shift ;;
    *) echo "install.sh: unknown option $1 (see the header of this file)" >&2; exit 2 ;;
  esac
done
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (it creates a user and installs system units)." >&2
  exit 2
fi
command -v systemctl >/dev/null 2>&1 || cron=1

# a file is (re)written only when its content differs: a second run changes nothing
put() { # put SOURCE DEST MODE
  local src="$1" dest="$root$2" mode="$3"
  mkdir -p "$(dirname "$dest")"
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    chmod "$mode" "$dest"
    return 1
  fi
  install -m "$mode" "$src" "$dest"
  echo "install.sh: wrote $2"
}

if [ -z "$root" ]; then
  if ! id -u scopeaudit >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/scopeaudit --no-create-home \
      --shell /usr/sbin/nologin --comment "scopeaudit scheduled agent" scopeaudit
    echo "install.sh: created user scopeaudit"
  fi
  if [ ! -x /opt/scopeaudit/.venv/bin/scopeaudit ]; then
    mkdir -p /opt/scopeaudit
    python3 -m venv /opt/scopeaudit/.venv
    /opt/scopeaudit/.venv/bin/python -m pip install -q "$here/.."
    echo "install.sh: installed scopeaudit in /opt/scopeaudit/.venv"
  fi
  if [ -d "$here/../docs" ] && [ ! -e /opt/scopeaudit/docs ]; then
    cp -r "$here/../docs" /opt/scopeaudit/docs
  fi
fi

mkdir -p "$root/etc/scopeaudit" "$root/var/lib/scopeaudit/reports" "$root/var/lib/scopeaudit/metrics"
if [ ! -e "$root/etc/scopeaudit/agent.yaml" ]; then
  install -m 0640 "$here/agent.yaml" "$root/etc/scopeaudit/agent.yaml"
  echo "install.sh: wrote /etc/scopeaudit/agent.yaml (edit it: contract, alerts, metrics)"
fi
chmod 0750 "$root/etc/scopeaudit" "$root/var/lib/scopeaudit"
if [ -z "$root" ]; then
  chown root:scopeaudit /etc/scopeaudit /etc/scopeaudit/agent.yaml
  chown -R scopeaudit:scopeaudit /var/lib/scopeaudit
fi

changed=0
if [ "$cron" -eq 1 ]; then
  put "$here/scopeaudit-agent.cron" /etc/cron.d/scopeaudit-agent 0644 && changed=1 || true
else
  put "$here/scopeaudit-agent.service" /etc/systemd/system/scopeaudit-agent.service 0644 \
    && changed=1 || true
  put "$here/scopeaudit-agent.timer" /etc/systemd/system/scopeaudit-agent.timer 0644 \
    && changed=1 || true
  if [ -z "$root" ]; then
    [ "$changed" -eq 1 ] && systemctl daemon-reload
    if [ "$enable" -eq 1 ]; then
      systemctl enable --now scopeaudit-agent.timer >/dev/null 2>&1 \
        || echo "install.sh: could not enable the timer (is systemd running?)" >&2
    fi
  fi
fi
echo "install.sh: agent installed${root:+ under $root}; see docs/scheduled-audit.md"
