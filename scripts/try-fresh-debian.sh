#!/usr/bin/env bash
# Try the README's quick start on a minimal Debian 12, as a newcomer would:
# debootstrap --variant=minbase bookworm into a folder, copy this checkout in, chroot, run the
# two commands. Needs root and access to Debian's and PyPI's package servers. Usage:
#   bash scripts/try-fresh-debian.sh [ROOTFS_DIR]   (default /var/tmp/scopeaudit-fresh)
# TRY_STEPS=quickstart runs only the first command.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${1:-/var/tmp/scopeaudit-fresh}"

if [ ! -x "$root/bin/bash" ]; then
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
fi
cleanup() {
  for m in dev/pts dev proc sys run/netns run; do umount -l "$root/$m" 2>/dev/null || true; done
  umount -l "$root" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
# A real machine's / is a mount point, which `ip netns` needs (mount --make-rslave /): make the
# chroot's root one too.
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs run "$root/run"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Where this machine reaches PyPI through a TLS-inspecting proxy, its CA bundle must be trusted
# inside the chroot too (a real fresh machine needs nothing of the kind).
pip_cert=""
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/usr/local/share/host-ca"
  cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/host-ca/ca.crt"
  pip_cert=/usr/local/share/host-ca/ca.crt
fi
rm -rf "$root/root/scopeaudit"
mkdir -p "$root/root/scopeaudit"
# The committed tree only, as a fresh clone would have it.
git -C "$repo" archive HEAD | tar -x -C "$root/root/scopeaudit"
steps=("bash scripts/quickstart.sh" "make test")
[ "${TRY_STEPS:-all}" = quickstart ] && steps=("bash scripts/quickstart.sh")
for step in "${steps[@]}"; do
  echo "== chroot: $step"
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 PIP_CERT="$pip_cert" SCOPEAUDIT_CORPORA="${SCOPEAUDIT_CORPORA:-}" \
    /bin/bash -c "cd /root/scopeaudit && $step"
done
