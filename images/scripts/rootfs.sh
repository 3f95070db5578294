#!/usr/bin/env bash
# A Debian root filesystem from Debian's packages, as a tar for `docker import`.
# usage: rootfs.sh <suite> <out.tar> <package,package,...>
set -euo pipefail
suite=$1; out=$2; packages=$3
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
cleanup() { umount -R "$work/root/proc" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "[rootfs] debootstrap --variant=minbase $suite (+ ${packages//,/ })"
debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# keep the image small: no apt lists, docs, man pages or caches
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin "$work/root/var/cache/apt/archives/"*.deb \
       "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"* "$work/root/usr/share/info/"* "$work/root/var/log/"*
tar -C "$work/root" --numeric-owner -cf "$out.part" .
mv "$out.part" "$out"
echo "[rootfs] $(du -h "$out" | cut -f1) $out"
