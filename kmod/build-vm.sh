#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# build-vm.sh — build vmedium.ko against the VM guest kernel's headers and
# put it where tests/vm/run.sh ships modules from (tests/vm/out/modules/).
#
# The build runs in a scratch copy (external modules on 6.1 build in their
# source directory) with W=1; any compiler warning fails the build (the
# module must build warning-free against the guest's headers).
#
# Usage: kmod/build-vm.sh            (KDIR from tests/vm/fetch.sh kdir)
#        KDIR=/path kmod/build-vm.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
KDIR="${KDIR:-$(QUIET=1 "$REPO/tests/vm/fetch.sh" kdir)}"
[ -d "$KDIR" ] || { echo "build-vm: no kernel headers at '$KDIR'" >&2; exit 1; }
work="$(mktemp -d /tmp/vmedium-kmod.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp -r "$HERE"/Kbuild "$HERE"/Makefile "$HERE"/*.c "$HERE"/uapi "$work"/
log="$work/build.log"
if ! make -C "$work" KDIR="$KDIR" W=1 >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-vm: build failed" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-vm: the build printed warnings (above)" >&2
	exit 1
fi
mkdir -p "$REPO/tests/vm/out/modules"
cp "$work/vmedium.ko" "$REPO/tests/vm/out/modules/vmedium.ko"
echo "$REPO/tests/vm/out/modules/vmedium.ko"
