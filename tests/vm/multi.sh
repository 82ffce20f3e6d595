#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# multi.sh — run one multi-guest scenario (scenarios/NAME.multi.sh): a bash
# script on the host that boots several guests at once and drives them
# and host-side processes through multi-lib.sh (read it for the helpers).
#
# Usage: tests/vm/multi.sh SCENARIO [--timeout S]
#   SCENARIO  NAME, NAME.multi.sh or a path; --timeout (default: the
#             scenario's `# vm-timeout:` line, else 600) bounds the whole
#             run; the guests are killed when it ends
#
# Exit: the scenario's status (0 pass, 77 skip), 124 on timeout, 126 when
# the harness could not prepare. Guests' consoles: tests/vm/out/NAME-GUEST.log;
# the scenario's own output: tests/vm/out/NAME.log; files it keeps:
# tests/vm/out/NAME/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export VMEDIUM_VM_CACHE="${VMEDIUM_VM_CACHE:-$HERE/cache}"
die() { echo "vm: error: $*" >&2; exit 126; }

scenario="" tmo=""
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) tmo="${2:?--timeout needs seconds}" && shift 2 ;;
	-h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d;s/^# \{0,1\}//' && exit 0 ;;
	-*) die "unknown option '$1' (accepted: --timeout S, -h)" ;;
	*) scenario="$1" && shift ;;
	esac
done
[ -n "$scenario" ] || die "usage: multi.sh SCENARIO [--timeout S]"
if [ -f "$scenario" ]; then
	script="$(cd "$(dirname "$scenario")" && pwd)/$(basename "$scenario")"
else
	script="$HERE/scenarios/${scenario%.sh}"
	script="${script%.multi}.multi.sh"
	[ -f "$script" ] || die "no multi-guest scenario '$scenario'"
fi
name="$(basename "$script" .multi.sh)"
[ -n "$tmo" ] || tmo="$(sed -n 's/^# vm-timeout: *\([0-9][0-9]*\).*/\1/p' "$script" | head -n1)"
tmo="${tmo:-600}"

"$HERE/fetch.sh" check 2>/dev/null || "$HERE/fetch.sh" fetch >/dev/null || die "fetch.sh failed"
"$HERE/build-initramfs.sh" >/dev/null || die "build-initramfs.sh failed"
if [ "${VMEDIUM_VM_NO_BUILD:-0}" != 1 ] && [ -z "${VMEDIUM_VM_BINDIR:-}" ]; then
	"$HERE/build-bins.sh" || die "building the project's binaries failed"
fi
export VM_HERE="$HERE" VM_MULTI="$name" VM_OUT="$HERE/out/$name"
export VM_BIN="${VMEDIUM_VM_BINDIR:-$HERE/out/bin}"
rm -rf "$VM_OUT" && mkdir -p "$VM_OUT"
t0=$(date +%s)
set +e
# on timeout the scenario's EXIT trap kills its guests (multi-lib.sh)
timeout -k 10 "$tmo" bash -c 'source "$1"/multi-lib.sh && source "$2"' multi "$HERE" "$script" 2>&1 |
	tee "$HERE/out/$name.log" >&2
rc=${PIPESTATUS[0]}
set -e
echo "vm: multi-guest scenario $name exit code $rc; ran $(($(date +%s) - t0))s" >&2
exit "$rc"
