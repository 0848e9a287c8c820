#!/usr/bin/env bash
# Writes a minimal root filesystem tar (the host's static busybox and its applet links) to stdout, for
#   examples/busybox-rootfs.sh | ./modelgate import - busybox:latest
set -euo pipefail
BUSYBOX="${BUSYBOX:-/bin/busybox}"
if ! "$BUSYBOX" --list >/dev/null 2>&1; then
  echo "busybox-rootfs: no busybox at $BUSYBOX (apt-get install busybox-static)" >&2
  exit 1
fi
ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
chmod 755 "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,etc,tmp,proc,sys,dev,root,var/www}
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in $("$BUSYBOX" --list); do
  [[ "$applet" == busybox ]] || ln -s busybox "$ROOTFS/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOTFS/etc/group"
chmod 1777 "$ROOTFS/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOTFS" -cf - .
