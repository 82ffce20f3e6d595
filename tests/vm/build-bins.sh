#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-bins.sh — build what the guest runs from this repository.
#
#   - cmd/vmedium and cmd/vmctl as static binaries (CGO_ENABLED=0: the guest
#     has Debian's glibc but no Go toolchain) → tests/vm/out/bin/; a failure
#     here is fatal
#   - every other main package of the module (none today; e.g. a future tool),
#     outside examples/ and tests/ → tests/vm/out/bin/<dir name>; a failure
#     is a warning (and removes the stale binary), so one half-written
#     command does not stop every scenario
#   - Go test binaries (`go test -c`, static) that scenarios ask for with a
#     header line `# vm-go-test: ./tests/kmodvm kmod-lab.test` (package, then
#     binary name) → tests/vm/out/bin/kmod-lab.test; a failure is a warning
#     (stale binary removed). VMEDIUM_VM_TESTPKGS (space separated packages)
#     adds more, named <last path element>.test, and failures there are fatal
#   - the kernel module, through kmod/build-vm.sh when it exists (it builds
#     against fetch.sh's headers and writes tests/vm/out/modules/*.ko). A
#     failed module build is reported and leaves no stale .ko behind, so
#     module scenarios fail on their own instead of testing old code, and
#     the other scenarios still run.
#
# Usage: tests/vm/build-bins.sh          exit non-zero if a Go build fails
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="$HERE/out/bin"
mkdir -p "$BIN" "$HERE/out/modules"
# Concurrent runs (several engineers, CI jobs) build one at a time.
exec 9>"$HERE/out/.build.lock"
flock 9

cd "$REPO"
for cmd in vmedium vmctl; do
	if ! ls "cmd/$cmd/"*.go >/dev/null 2>&1; then
		echo "build-bins: cmd/$cmd has no Go files; not building it" >&2
		continue
	fi
	CGO_ENABLED=0 go build -trimpath -o "$BIN/$cmd" "./cmd/$cmd" ||
		{ echo "build-bins: go build ./cmd/$cmd failed" >&2; exit 1; }
done
while read -r dir; do
	rel="./${dir#"$REPO"/}"
	case "$rel" in ./cmd/vmedium | ./cmd/vmctl | ./examples/* | ./tests/*) continue ;; esac
	if ! CGO_ENABLED=0 go build -trimpath -o "$BIN/$(basename "$dir")" "$rel"; then
		rm -f "$BIN/$(basename "$dir")"
		echo "build-bins: WARNING: go build $rel failed; scenarios that need $(basename "$dir") will fail" >&2
	fi
done < <(go list -e -f '{{if eq .Name "main"}}{{.Dir}}{{end}}' ./... 2>/dev/null | grep -v '^$')
while read -r pkg name; do
	[ -n "$name" ] || { echo "build-bins: WARNING: '# vm-go-test: $pkg' needs a package and a binary name" >&2; continue; }
	if ! CGO_ENABLED=0 go test -c -trimpath -o "$BIN/$name" "$pkg"; then
		rm -f "$BIN/$name"
		echo "build-bins: WARNING: go test -c $pkg failed; scenarios that need $name will fail" >&2
	fi
done < <(sed -n 's/^# vm-go-test: *\([^ ]*\) *\([^ ]*\).*/\1 \2/p' "$HERE"/scenarios/*.sh | sort -u)
for pkg in ${VMEDIUM_VM_TESTPKGS:-}; do
	CGO_ENABLED=0 go test -c -trimpath -o "$BIN/$(basename "$pkg").test" "$pkg" ||
		{ echo "build-bins: go test -c $pkg failed" >&2; exit 1; }
done
if [ -x "$REPO/kmod/build-vm.sh" ] && [ "${VMEDIUM_VM_NO_KMOD:-0}" != 1 ]; then
	if ! "$REPO/kmod/build-vm.sh" >/dev/null; then
		rm -f "$HERE"/out/modules/*.ko
		echo "build-bins: WARNING: kmod/build-vm.sh failed; scenarios that need the module will fail" >&2
	fi
fi
