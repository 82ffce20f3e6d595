#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh — boot Debian's kernel in QEMU (TCG) and run one VM scenario.
#
# Usage: tests/vm/run.sh SCENARIO [--timeout S] [--name NAME] [--qemu-arg ARG]... [-- ARGS...]
#   SCENARIO   a name from tests/vm/scenarios (smoke, smoke.sh) or a path
#   --timeout  wall-clock limit for the guest in seconds (default 300);
#              on expiry QEMU is killed and run.sh exits 124
#   --name     name of this run's outputs (tests/vm/out/NAME.log, out/NAME/)
#              instead of the scenario's: several guests running one script
#   --qemu-arg one more QEMU argument (repeatable), e.g. a virtio-serial
#              port or a -netdev on a host socket (tests/vm/multi-lib.sh)
#   ARGS       passed to the scenario as "$@"
#
# What it does: makes sure the cache and the base initramfs exist (fetch.sh,
# build-initramfs.sh), builds the project's static binaries and module into
# tests/vm/out/{bin,modules} (build-bins.sh; skipped with VMEDIUM_VM_NO_BUILD=1
# or when VMEDIUM_VM_BINDIR names a ready directory of binaries), packs a
# small per-run OVERLAY archive (/init, lib.sh, the scenario, every file in
# the bin dir → /usr/local/bin, tests/vm/out/modules/*.ko → /vm/modules),
# boots base+overlay, tees the serial console to tests/vm/out/<scenario>.log
# and exits with the scenario's exit code, which the guest prints as
# VM-EXIT-CODE=N before powering off.
#
# Exit codes: the scenario's own (0 pass, 77 skipped, other = failure); 124
# the guest ran past --timeout; 125 the guest reported no exit code (kernel
# panic, /init crash); 126 the harness could not prepare the run; 123 the
# scenario passed but a file it exported arrived corrupt; 122 the scenario
# passed but its host check (NAME.host.sh) failed.
#
# The guest's full dmesg is filed as tests/vm/out/<scenario>/dmesg.txt.
# Guest → host files: lines `VM-FILE-BEGIN name` … base64 … `VM-FILE-END name
# sha256` (lib.sh's vm_export_file) are decoded into tests/vm/out/<scenario>/
# and checked; `VM-METRIC k=v unit` lines are collected in
# tests/vm/out/<scenario>/metrics.
#
# Environment: VMEDIUM_VM_CACHE, VMEDIUM_VM_BINDIR, VMEDIUM_VM_NO_BUILD,
#   VMEDIUM_VM_MODDIR (.ko files for /vm/modules, default tests/vm/out/modules),
#   VMEDIUM_VM_QUIET=1 (console only to the log file), VMEDIUM_VM_MEM (MiB,
#   default 1024), VMEDIUM_VM_SMP (default 2), VMEDIUM_VM_APPEND (extra kernel
#   command line; no_timer_check is always given: a loaded TCG host made one
#   boot panic "IO-APIC + timer doesn't work"), VMEDIUM_VM_KMODS (kernel
#   modules from the cached kernel, e.g. "virtio_pci virtio_console", shipped
#   with their dependencies in the overlay and loaded by /init before the
#   scenario: the base archive stays as it is).
#
# Host-side checks: when scenarios/NAME.host.sh exists next to a scenario
# NAME.sh that passed, run.sh runs it on the host with the scenario's out
# directory (tests/vm/out/NAME) as its argument; its failure fails the
# scenario (exit code 122), e.g. tshark decoding an exported pcap.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export VMEDIUM_VM_CACHE="${VMEDIUM_VM_CACHE:-$HERE/cache}"
OUTDIR="$HERE/out"
BINDIR="${VMEDIUM_VM_BINDIR:-$OUTDIR/bin}"

die() { echo "vm: error: $*" >&2; exit 126; }
say() { echo "vm: $*" >&2; }

usage() { sed -n '2,/^set -euo/p' "$0" | grep -v SPDX-License-Identifier | sed '$d;s/^# \{0,1\}//'; }

scenario="" timeout_s=300 args=() runname="" qemu_extra=()
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout)
		[ $# -ge 2 ] || die "--timeout needs a value in seconds"
		timeout_s="${2:?--timeout needs a number of seconds}"
		shift 2
		;;
	--timeout=*) timeout_s="${1#*=}" && shift ;;
	--name)
		[ $# -ge 2 ] || die "--name needs a value"
		runname="$2"
		shift 2
		;;
	--qemu-arg)
		[ $# -ge 2 ] || die "--qemu-arg needs a value"
		qemu_extra+=("$2")
		shift 2
		;;
	-h | --help) usage && exit 0 ;;
	--) shift && args=("$@") && break ;;
	-*) die "unknown option '$1' (accepted: --timeout S, --name NAME, --qemu-arg ARG, --, -h)" ;;
	*)
		[ -z "$scenario" ] || die "one scenario per run (got '$scenario' and '$1')"
		scenario="$1"
		shift
		;;
	esac
done
[ -n "$scenario" ] || { usage >&2; exit 126; }
[[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "bad --timeout '$timeout_s': want a positive number of seconds"

if [ -f "$scenario" ]; then
	script="$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")"
else
	script="$HERE/scenarios/${scenario%.sh}.sh"
	[ -f "$script" ] || die "no scenario '$scenario' (have: $(cd "$HERE/scenarios" && for f in ./*.sh; do basename "$f" .sh; done | tr '\n' ' '))"
fi
name="${runname:-$(basename "$script" .sh)}"
case "$name" in */* | "" | . | ..) die "bad --name '$name': a file name, no '/'" ;; esac

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. cache + base initramfs (both no-ops when up to date)
"$HERE/fetch.sh" check 2>/dev/null || "$HERE/fetch.sh" fetch >/dev/null || die "fetch.sh failed"
base="$("$HERE/build-initramfs.sh")" || die "build-initramfs.sh failed"
kver="$(cat "$VMEDIUM_VM_CACHE/kver")"
kernel="$VMEDIUM_VM_CACHE/kernel/boot/vmlinuz-$kver"

# 2. the project's binaries (static, for a guest without Go's toolchain)
mkdir -p "$BINDIR"
if [ "${VMEDIUM_VM_NO_BUILD:-0}" != 1 ] && [ -z "${VMEDIUM_VM_BINDIR:-}" ]; then
	"$HERE/build-bins.sh" || die "building the project's binaries failed"
fi

# 3. per-run overlay
work="$(mktemp -d /tmp/vmedium-vm.XXXXXX)"
trap 'rm -rf "$work"' EXIT
ov="$work/overlay"
mkdir -p "$ov/vm/modules" "$ov/usr/local/bin"
cp "$HERE/lib.sh" "$ov/vm/lib.sh"
cp "$script" "$ov/vm/scenario.sh"
: >"$ov/vm/args"
for a in "${args[@]+"${args[@]}"}"; do printf '%s\n' "$a" >>"$ov/vm/args"; done
find "$BINDIR" -maxdepth 1 -type f -exec cp {} "$ov/usr/local/bin/" \;
MODDIR="${VMEDIUM_VM_MODDIR:-$OUTDIR/modules}"
if compgen -G "$MODDIR/*.ko" >/dev/null; then cp "$MODDIR"/*.ko "$ov/vm/modules/"; fi
# Extra modules of the cached kernel, dependencies first (modules.dep
# lists a module's dependencies, the last to be loaded first).
read -ra kmods <<<"${VMEDIUM_VM_KMODS:-}"
if [ "${#kmods[@]}" -gt 0 ]; then
	kroot="$VMEDIUM_VM_CACHE/kernel/lib/modules/$kver"
	mkdir -p "$ov/vm/kmods"
	: >"$ov/vm/kmods/order"
	for m in "${kmods[@]}"; do
		line="$(grep -E "/${m//_/[_-]}\.ko:" "$kroot/modules.dep" | head -n1)" || die "VMEDIUM_VM_KMODS: no module '$m' in $kroot/modules.dep"
		read -ra deps <<<"${line#*:}"
		for ((i = ${#deps[@]} - 1; i >= -1; i--)); do
			if [ "$i" -ge 0 ]; then f="${deps[$i]}"; else f="${line%%:*}"; fi
			b="$(basename "$f")"
			grep -qx "$b" "$ov/vm/kmods/order" && continue
			cp "$kroot/$f" "$ov/vm/kmods/$b" || die "VMEDIUM_VM_KMODS: cannot copy $kroot/$f"
			echo "$b" >>"$ov/vm/kmods/order"
		done
	done
fi
cat >"$ov/init" <<'EOF'
#!/bin/sh
# /init of a vmedium VM test guest (generated by tests/vm/run.sh).
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
hostname vm
ip link set lo up
echo /sbin/modprobe >/proc/sys/kernel/modprobe
# extra modules of the cached kernel (run.sh's VMEDIUM_VM_KMODS), in order
if [ -f /vm/kmods/order ]; then
	while read -r m; do
		grep -q "^$(basename "$m" .ko | tr - _) " /proc/modules || insmod "/vm/kmods/$m" || echo "VM: insmod $m failed"
	done </vm/kmods/order
	echo "VM: loaded $(tr '\n' ' ' </vm/kmods/order)"
fi
echo "VM-BOOT uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
cd /vm
# read the scenario's arguments, one per line
set --
while IFS= read -r a; do set -- "$@" "$a"; done </vm/args
PS4='+ ' sh -x /vm/scenario.sh "$@"
rc=$?
echo "VM-SCENARIO-END uptime=$(cut -d' ' -f1 /proc/uptime)"
# the whole kernel log, for run.sh to file as out/<scenario>/dmesg.txt
echo "VM-DMESG-BEGIN"
dmesg
echo "VM-DMESG-END"
echo "VM-EXIT-CODE=$rc"
sync
poweroff -f
EOF
chmod 755 "$ov/init" "$ov/vm/scenario.sh"
(cd "$ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$work/overlay.cpio.gz") ||
	die "packing the overlay failed"
cat "$base" "$work/overlay.cpio.gz" >"$work/initrd.cpio.gz"

# 4. boot
mkdir -p "$OUTDIR"
logf="$OUTDIR/$name.log"
filesdir="$OUTDIR/$name"
rm -rf "$filesdir"
say "booting $name (kernel $kver, timeout ${timeout_s}s, log $logf)"
t_boot=$(date +%s.%N)
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "${VMEDIUM_VM_MEM:-1024}" -smp "${VMEDIUM_VM_SMP:-2}"
	-nographic -no-reboot -nic none -kernel "$kernel" -initrd "$work/initrd.cpio.gz"
	-append "console=ttyS0 panic=-1 quiet no_timer_check ${VMEDIUM_VM_APPEND:-}"
	"${qemu_extra[@]+"${qemu_extra[@]}"}")
set +e
if [ "${VMEDIUM_VM_QUIET:-0}" = 1 ]; then
	timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null >"$logf" 2>&1
	qrc=$?
else
	timeout -k 5 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | tee "$logf"
	qrc=${PIPESTATUS[0]}
fi
set -e
vm_secs="$(elapsed "$t_boot")"

# 5. results
tr -d '\r' <"$logf" >"$work/console"
mkdir -p "$filesdir"
awk -v dir="$filesdir" -v work="$work" '
	/^VM-FILE-BEGIN / { name = $2; out = work "/" name ".b64"; printf "" > out; on = 1; next }
	/^VM-FILE-END / { if (on) { close(out); print $2, $3 > (work "/files.lst") } on = 0; next }
	on && /^[A-Za-z0-9+\/=]+$/ { print >> out }
	/^VM-METRIC / { sub(/^VM-METRIC /, ""); print >> (dir "/metrics") }
	/^VM-DMESG-END/ { dm = 0 }
	dm { print >> (dir "/dmesg.txt") }
	/^VM-DMESG-BEGIN/ { dm = 1 }
' "$work/console"
ferr=0
if [ -f "$work/files.lst" ]; then
	while read -r fname fsum; do
		case "$fname" in */* | .. | .) say "refusing file name '$fname' from the guest"; ferr=1; continue ;; esac
		base64 -d "$work/$fname.b64" >"$filesdir/$fname" 2>/dev/null
		got="$(sha256sum "$filesdir/$fname" | cut -d' ' -f1)"
		if [ "$got" = "$fsum" ]; then
			say "file from guest: $filesdir/$fname"
		else
			say "file $fname from the guest is corrupt (console output interleaved?): sha256 $got, want $fsum"
			ferr=1
		fi
	done <"$work/files.lst"
fi
rmdir "$filesdir" 2>/dev/null || true

boot_up="$(sed -n 's/.*VM-BOOT uptime=\([0-9.]*\).*/\1/p' "$work/console" | head -n1)"
end_up="$(sed -n 's/^VM-SCENARIO-END uptime=\([0-9.]*\).*/\1/p' "$work/console" | head -n1)"
rc="$(sed -n 's/.*VM-EXIT-CODE=\([0-9]*\)$/\1/p' "$work/console" | tail -n1)"
timing="guest /init at ${boot_up:-?}s uptime, scenario ended at ${end_up:-?}s; QEMU ran ${vm_secs}s; total ${name} $(elapsed "$t_start")s"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	say "TIMEOUT: scenario $name did not finish within ${timeout_s}s (killed QEMU); see $logf"
	exit 124
fi
if [ -z "$rc" ]; then
	say "scenario $name: the guest reported no VM-EXIT-CODE (QEMU exit $qrc; kernel panic or /init crash?); see $logf"
	exit 125
fi
[ "$ferr" = 0 ] || { [ "$rc" != 0 ] || rc=123; }
hostcheck="${script%.sh}.host.sh"
if [ "$rc" = 0 ] && [ -f "$hostcheck" ]; then
	say "host check $(basename "$hostcheck") $filesdir"
	if ! bash "$hostcheck" "$filesdir" >"$work/hostcheck.out" 2>&1; then
		sed 's/^/vm: host check: /' "$work/hostcheck.out" >&2
		say "scenario $name passed in the guest but its host check failed"
		rc=122
	else
		sed 's/^/vm: host check: /' "$work/hostcheck.out" >&2
	fi
fi
say "scenario $name exit code $rc; $timing"
exit "$rc"
