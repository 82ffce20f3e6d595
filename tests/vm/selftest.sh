#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# selftest.sh — tests the VM harness itself (not the project).
#
# Builds, in a temporary directory, an out-of-tree kernel module against the
# fetched headers (fetch.sh kdir) and a static Go binary, then boots a guest
# scenario that loads the module, runs the binary, checks its arguments,
# sends two files back and exits 7; and a scenario that hangs. It checks that
# run.sh returns 7, that the files arrived intact, and that the hang ends in
# exit 124 within the timeout. Prints PASS or FAIL lines; exit 0 on success.
#
# Usage: tests/vm/selftest.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
t="$(mktemp -d /tmp/vmedium-vm-selftest.XXXXXX)"
trap 'rm -rf "$t"' EXIT
fails=0
check() {
	local what="$1"
	shift
	if "$@"; then echo "PASS $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

KDIR="$("$HERE/fetch.sh" kdir)"
mkdir -p "$t/mod" "$t/mods" "$t/bin" "$t/go"
cat >"$t/mod/selftest.c" <<'EOF'
#include <linux/init.h>
#include <linux/module.h>
static int __init vmselftest_init(void) { pr_info("vmselftest: loaded\n"); return 0; }
static void __exit vmselftest_exit(void) { pr_info("vmselftest: unloaded\n"); }
module_init(vmselftest_init);
module_exit(vmselftest_exit);
MODULE_LICENSE("GPL");
EOF
printf 'obj-m := vmselftest.o\nvmselftest-y := selftest.o\n' >"$t/mod/Kbuild"
make -s -C "$KDIR" M="$t/mod" modules >"$t/make.log" 2>&1 || { cat "$t/make.log"; echo "FAIL module build against $KDIR"; exit 1; }
cp "$t/mod/vmselftest.ko" "$t/mods/"
echo "PASS module build against $KDIR"

cat >"$t/go/main.go" <<'EOF'
// Command gohello proves static Go binaries run in the guest.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("static-go-ok", len(os.Args))
	if err := os.WriteFile("/vm/work/go.out", []byte("hello from go\n"), 0o644); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
EOF
(cd "$t/go" && CGO_ENABLED=0 go build -o "$t/bin/gohello" main.go)

cat >"$t/exit7.sh" <<'EOF'
#!/bin/sh
. /vm/lib.sh
assert_eq "$#" 2 "argument count"
assert_eq "$1" alpha "arg 1"
assert_eq "$2" "b c" "arg 2"
insmod /vm/modules/vmselftest.ko || fail "insmod"
dmesg_has 'vmselftest: loaded' || fail "module did not run"
rmmod vmselftest
assert_eq "$(gohello x)" "static-go-ok 2" "gohello output"
for tool in ip iw hostapd hostapd_cli wpa_supplicant wpa_cli iperf3 modprobe ethtool; do
	command -v $tool >/dev/null || fail "$tool missing in the guest"
done
ip netns add selftest || fail "ip netns add"
head -c 200000 /dev/urandom >/vm/work/blob
vm_export_file /vm/work/blob
vm_export_file /vm/work/go.out
vm_metric selftest 1 unit
check_dmesg
exit 7
EOF
printf '#!/bin/sh\n. /vm/lib.sh\nlog hanging on purpose\nsleep 100000\n' >"$t/hang.sh"

rc=0
VMEDIUM_VM_QUIET=1 VMEDIUM_VM_MODDIR="$t/mods" VMEDIUM_VM_BINDIR="$t/bin" \
	"$HERE/run.sh" "$t/exit7.sh" --timeout 180 -- alpha "b c" || rc=$?
check "scenario exit code reaches the host (got $rc, want 7)" [ "$rc" = 7 ]
check "exported binary file intact" [ "$(stat -c %s "$HERE/out/exit7/blob" 2>/dev/null)" = 200000 ]
check "exported text file intact" grep -qx 'hello from go' "$HERE/out/exit7/go.out"
check "metric collected" grep -qx 'selftest=1 unit' "$HERE/out/exit7/metrics"

start=$(date +%s)
rc=0
VMEDIUM_VM_QUIET=1 VMEDIUM_VM_NO_BUILD=1 VMEDIUM_VM_BINDIR="$t/bin" "$HERE/run.sh" "$t/hang.sh" --timeout 30 || rc=$?
el=$(($(date +%s) - start))
check "hung guest ends with 124 (got $rc)" [ "$rc" = 124 ]
# 30 s of guest plus host-side preparation, which is slow on a loaded host
check "hung guest killed near the timeout (${el}s for 30s)" [ "$el" -lt 90 ]
rm -rf "$HERE/out/exit7" "$HERE/out/exit7.log" "$HERE/out/hang.log"

if [ "$fails" != 0 ]; then
	echo "selftest: $fails failed"
	exit 1
fi
echo "selftest: all passed"
