#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# vm-test.sh — run the kmod VM scenarios: build vmedium.ko against the
# guest's headers (build-vm.sh), build the Go integration test binary
# (tests/kmodvm's TestRootVM*, static) into a private bin dir, and boot each
# tests/vm/scenarios/kmod-*.sh with tests/vm/run.sh.
#
# Usage: kmod/vm-test.sh [SCENARIO...]   (default: every kmod-*.sh)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
"$HERE/build-vm.sh" >/dev/null
bindir="${VMEDIUM_VM_BINDIR:-/tmp/vmedium-kmod-bin}"
mkdir -p "$bindir"
(cd "$REPO" && CGO_ENABLED=0 go test -c -o "$bindir/kmod-lab.test" ./tests/kmodvm/)
export VMEDIUM_VM_BINDIR="$bindir"
if [ $# -eq 0 ]; then
	set -- $(cd "$REPO/tests/vm/scenarios" && ls kmod-*.sh | sed 's/\.sh$//')
fi
rc=0
for s in "$@"; do
	if "$REPO/tests/vm/run.sh" "$s" --timeout 400; then
		echo "kmod-vm: $s PASS"
	else
		echo "kmod-vm: $s FAIL (log tests/vm/out/$s.log)"
		rc=1
	fi
done
exit $rc
