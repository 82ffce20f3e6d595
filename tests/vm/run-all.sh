#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-all.sh — run VM scenarios and summarize for CI.
#
# Usage: tests/vm/run-all.sh [SCENARIO...]   (default: every scenarios/*.sh)
#
# Prints one line per scenario (PASS/FAIL with exit code and seconds; on
# failure the tail of its console log) and a final line exactly of the form
# `N passed, N failed`. Exits non-zero when any scenario failed.
#
# When the VM tests cannot run here (not root and the cache or QEMU is
# missing, or the Debian packages cannot be fetched) it prints
# "SKIP: VM tests need ..." and exits 0; the caller decides what that means.
#
# A scenario that calls lib.sh's `skip` (exit 77) is reported as SKIP and
# counted in neither number.
#
# Per-scenario timeout: a line `# vm-timeout: SECONDS` in the scenario,
# else VMEDIUM_VM_TIMEOUT, else 300.
#
# scenarios/NAME.multi.sh are multi-guest scenarios (host-side bash, several
# guests at once: multi.sh, multi-lib.sh); run them by NAME as the others.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export VMEDIUM_VM_CACHE="${VMEDIUM_VM_CACHE:-$HERE/cache}"

skip() { echo "SKIP: VM tests need $*"; exit 0; }

t0=$(date +%s)
if ! "$HERE/fetch.sh" check 2>/dev/null; then
	[ "$(id -u)" = 0 ] || skip "root to install qemu-system-x86 and download Debian's kernel and guest packages (or a prepared cache: run tests/vm/fetch.sh as root once)"
	"$HERE/fetch.sh" fetch >/dev/null || skip "qemu-system-x86 and Debian's kernel/guest packages, and fetching them failed (see above)"
fi
t_fetch=$(($(date +%s) - t0))
t1=$(date +%s)
"$HERE/build-initramfs.sh" >/dev/null || { echo "FAIL: building the base initramfs"; echo "0 passed, 1 failed"; exit 1; }
t_build=$(($(date +%s) - t1))
echo "vm: cache ready in ${t_fetch}s, base initramfs in ${t_build}s"

# Build the project's binaries and module once for every scenario.
if [ -z "${VMEDIUM_VM_BINDIR:-}" ] && [ "${VMEDIUM_VM_NO_BUILD:-0}" != 1 ]; then
	t2=$(date +%s)
	"$HERE/build-bins.sh" || { echo "FAIL: building the project's binaries"; echo "0 passed, 1 failed"; exit 1; }
	echo "vm: project binaries built in $(($(date +%s) - t2))s"
fi
export VMEDIUM_VM_NO_BUILD=1

if [ $# -gt 0 ]; then
	scenarios=("$@")
else
	scenarios=()
	for f in "$HERE"/scenarios/*.sh; do
		case "$f" in *.host.sh) continue ;; esac # host-side checks run.sh runs after NAME.sh
		[ -f "$f" ] && scenarios+=("$(basename "$f" .sh)")
	done
fi

passed=0 failed=0 skipped=0
for s in "${scenarios[@]}"; do
	s="${s%.sh}"
	f="$HERE/scenarios/$s.sh"
	[ -f "$HERE/scenarios/$s.multi.sh" ] && f="$HERE/scenarios/$s.multi.sh"
	[ -f "$s.sh" ] && f="$s.sh"
	[ -f "$s" ] && f="$s"
	tmo="$(sed -n 's/^# vm-timeout: *\([0-9][0-9]*\).*/\1/p' "$f" 2>/dev/null | head -n1)"
	tmo="${tmo:-${VMEDIUM_VM_TIMEOUT:-300}}"
	ts=$(date +%s)
	name="$(basename "$f" .sh)"
	case "$f" in
	*.multi.sh) # several guests and host processes: multi.sh
		name="$(basename "$f" .multi.sh)"
		"$HERE/multi.sh" "$f" --timeout "$tmo" >/dev/null 2>"/tmp/vmedium-vm-run.$$.err"
		;;
	*) VMEDIUM_VM_QUIET=1 "$HERE/run.sh" "$f" --timeout "$tmo" 2>"/tmp/vmedium-vm-run.$$.err" ;;
	esac
	rc=$?
	secs=$(($(date +%s) - ts))
	if [ "$rc" = 77 ]; then
		skipped=$((skipped + 1))
		echo "SKIP $name (${secs}s) $(tr -d '\r' <"$HERE/out/$name.log" | sed -n 's/^SKIP: //p' | head -n1)"
	elif [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name (${secs}s) $(grep -h 'scenario .* exit code' "/tmp/vmedium-vm-run.$$.err" | tail -n1 | sed 's/^vm: //')"
	else
		failed=$((failed + 1))
		why="exit $rc"
		[ "$rc" = 124 ] && why="timeout after ${tmo}s"
		echo "FAIL $name ($why, ${secs}s) log: $HERE/out/$name.log"
		cat "/tmp/vmedium-vm-run.$$.err"
		if [ -f "$HERE/out/$name.log" ]; then
			# What failed first (the FAIL: line, the steps before it and
			# the daemon log tails fail() prints), then the end of dmesg:
			# CI keeps only part of the output, so keep this short.
			tr -d '\r' <"$HERE/out/$name.log" | awk '
				/^FAIL: / && !f { f = 1; for (i = NR - 12; i < NR; i++) if (i > 0 && (i in h)) print h[i] }
				{ h[NR] = $0 }
				f && !/^ *\[ *[0-9]+\.[0-9]+\]/ && n < 80 { print; n++ }
				/VM-DMESG-END/ { exit }' | sed 's/^/    /'
			tr -d '\r' <"$HERE/out/$name.log" | sed -n '/VM-DMESG-BEGIN/,/VM-DMESG-END/p' | tail -n 15 | sed 's/^/    /'
		fi
	fi
	rm -f "/tmp/vmedium-vm-run.$$.err"
done
echo "vm: total $(($(date +%s) - t0))s, $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
