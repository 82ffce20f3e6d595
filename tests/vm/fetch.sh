#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fetch.sh — prepare everything the VM harness needs, idempotently.
#
# Installs the few HOST tools the harness runs (qemu-system-x86, cpio, gzip, …)
# with apt-get if they are missing, then downloads with `apt-get download`
# (never installing them on the host) into a cache directory:
#   - Debian's kernel image behind the `linux-image-amd64` metapackage,
#   - its headers (linux-headers-<kver>, -common, linux-kbuild-6.1) so
#     out-of-tree modules (kmod/) build against the guest kernel,
#   - the guest userspace (dynamic busybox, iproute2, iw, hostapd,
#     wpa_supplicant, iperf3, kmod, wireless-regdb, ethtool, procps) and
#     the library packages they link against,
# and unpacks them with `dpkg -x`. It also takes one file out of Debian's
# kernel source package (linux-source-6.1): the mac80211_hwsim protocol
# header, against which medium/hwsim's constants are tested (the tarball is
# streamed, only that header is written; a failure here is a warning, the
# test then skips).
#
# Usage:
#   tests/vm/fetch.sh          fetch + unpack, print KDIR as the last line
#   tests/vm/fetch.sh kdir     (fetch if needed, quietly) print only KDIR
#   tests/vm/fetch.sh kver     print only the guest kernel release
#   tests/vm/fetch.sh check    exit 0 if host tools + cache are complete, 1 if not
#                              (the hwsim header is not required)
#   tests/vm/fetch.sh hwsim-header  (fetch if needed) print the header's path
#
# Environment:
#   VMEDIUM_VM_CACHE   cache directory (default tests/vm/cache)
#
# Cache layout:
#   $CACHE/debs/*.deb         downloaded packages
#   $CACHE/kver               kernel release, e.g. 6.1.0-56-amd64
#   $CACHE/kernel/            linux-image unpacked (boot/vmlinuz-*, lib/modules/*)
#   $CACHE/headers/           headers + kbuild unpacked; KDIR lives under usr/src
#   $CACHE/root/              guest userspace unpacked (merged tree)
#   $CACHE/fetch.done         stamp: key of the last complete fetch
#   $CACHE/src/mac80211_hwsim.h  the kernel's hwsim header (linux-source-6.1)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${VMEDIUM_VM_CACHE:-$HERE/cache}"
mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd)"

# Guest userspace packages (their libraries are added automatically).
GUEST_PKGS=(busybox iproute2 iw hostapd wpasupplicant iperf3 libiperf0 kmod libkmod2
	wireless-regdb ethtool procps)
# Host tools the harness runs, as "command:package".
HOST_TOOLS=(qemu-system-x86_64:qemu-system-x86 cpio:cpio gzip:gzip timeout:coreutils
	readelf:binutils base64:coreutils dpkg:dpkg)

log() { [ "${QUIET:-0}" = 1 ] || echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

apt_updated=0
apt_update_once() {
	[ "$apt_updated" = 1 ] && return 0
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed (no Debian mirror reachable?)"
	apt_updated=1
}

# host_tools installs missing host commands; needs root.
host_tools() {
	local missing=() ct cmd pkg
	for ct in "${HOST_TOOLS[@]}"; do
		cmd="${ct%%:*}" pkg="${ct#*:}"
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
	done
	[ "${#missing[@]}" = 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "host packages missing (${missing[*]}); run as root or: apt-get install ${missing[*]}"
	apt_update_once
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# resolve_kver prints the concrete kernel release behind linux-image-amd64.
resolve_kver() {
	local pkg
	pkg="$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)"
	if [ -z "$pkg" ]; then
		apt_update_once
		pkg="$(apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)"
	fi
	[ -n "$pkg" ] || die "cannot resolve the kernel package behind linux-image-amd64"
	echo "${pkg#linux-image-}"
}

# lib_closure prints the library packages the given packages depend on,
# recursively (apt-cache depends --recurse, filtered to shared-library
# packages: everything else — debconf, perl, init scripts — is not needed
# to run the binaries; missing sonames are caught by build-initramfs.sh).
lib_closure() {
	apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$@" |
		sed -n 's/^ *\(Pre\)\{0,1\}Depends: \([a-z0-9][a-z0-9.+-]*\)$/\2/p;s/^\([a-z0-9][a-z0-9.+-]*\)$/\1/p' |
		grep -E '^(lib[a-z0-9.+-]+|zlib1g)$' |
		grep -vE -- '-(dev|doc|dbg|bin|common|data|perl)$' |
		grep -vE '^(libelogind0|libdebian-installer4|libnewt0\.52|libslang2|libtextwrap1)$' | sort -u
}

# download fetches package names (latest candidate) into $CACHE/debs if absent.
download() {
	local need=() p
	for p in "$@"; do
		compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || need+=("$p")
	done
	[ "${#need[@]}" = 0 ] && return 0
	apt_update_once
	log "apt-get download ${need[*]}"
	(cd "$CACHE/debs" && apt-get download -qq "${need[@]}" >&2) ||
		die "apt-get download failed for: ${need[*]}"
}

# unpack dpkg -x's each named package's .deb into DIR once (stamp per file).
unpack() {
	local dir="$1" p deb
	shift
	mkdir -p "$dir/.stamps"
	for p in "$@"; do
		deb="$(ls -1 "$CACHE/debs/${p}"_*.deb | sort -V | tail -n1)"
		[ -f "$dir/.stamps/$(basename "$deb")" ] && continue
		dpkg -x "$deb" "$dir" || die "dpkg -x $deb"
		touch "$dir/.stamps/$(basename "$deb")"
	done
}

kdir_of() { echo "$CACHE/headers/usr/src/linux-headers-$1"; }

# The kernel source package and the header taken from it. In 6.1 the
# driver lives in drivers/net/wireless/ (it moved to .../virtual/ in 6.4).
SRC_PKG=linux-source-6.1
HWSIM_HEADER_IN_TREE=drivers/net/wireless/mac80211_hwsim.h
hwsim_header() { echo "$CACHE/src/mac80211_hwsim.h"; }

# fetch_hwsim_header downloads linux-source-6.1 and extracts only the
# hwsim header, streaming the source tarball out of the .deb (nothing but
# the header is written). Kept out of fetch.done's key: an older cache
# stays complete for `check`, and the Go test skips without the header.
fetch_hwsim_header() {
	local out deb tarball
	out="$(hwsim_header)"
	[ -s "$out" ] && return 0
	mkdir -p "$CACHE/debs"
	( download "$SRC_PKG" ) || return 1 # a subshell: download dies on failure
	deb="$(ls -1 "$CACHE/debs/${SRC_PKG}"_*.deb | sort -V | tail -n1)"
	tarball="$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -E '^\./usr/src/linux-source-[0-9.]+\.tar\.xz$' | head -n1)"
	[ -n "$tarball" ] || { log "warning: no source tarball in $deb"; return 1; }
	mkdir -p "$CACHE/src"
	log "extracting $HWSIM_HEADER_IN_TREE from $(basename "$deb")"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "$tarball" |
		tar -xJO "$(basename "${tarball%.tar.xz}")/$HWSIM_HEADER_IN_TREE" >"$out.tmp" &&
		[ -s "$out.tmp" ] && mv "$out.tmp" "$out" || {
		rm -f "$out.tmp"
		log "warning: $HWSIM_HEADER_IN_TREE not found in $tarball"
		return 1
	}
}

fetch_all() {
	# One fetch at a time per cache (engineers and CI jobs share it).
	exec 9>"$CACHE/.fetch.lock"
	flock 9
	host_tools
	mkdir -p "$CACHE/debs"
	local kver common kbuild
	if [ -s "$CACHE/kver" ] && [ "${VMEDIUM_VM_REFRESH:-0}" != 1 ]; then
		kver="$(cat "$CACHE/kver")"
	else
		kver="$(resolve_kver)"
	fi
	local key="$kver ${GUEST_PKGS[*]}"
	if [ -f "$CACHE/fetch.done" ] && [ "$(cat "$CACHE/fetch.done")" = "$key" ]; then
		log "cache complete ($CACHE, kernel $kver)"
		[ "${1:-}" = no-header ] || fetch_hwsim_header || log "warning: no hwsim header; medium/hwsim's header test will skip"
		return 0
	fi
	log "kernel $kver"
	common="linux-headers-${kver%-amd64}-common"
	kbuild="$(apt-cache depends "linux-headers-$kver" | sed -n 's/^ *Depends: \(linux-kbuild-[0-9.]*\)$/\1/p' | head -n1)"
	[ -n "$kbuild" ] || { apt_update_once; kbuild="$(apt-cache depends "linux-headers-$kver" | sed -n 's/^ *Depends: \(linux-kbuild-[0-9.]*\)$/\1/p' | head -n1)"; }
	[ -n "$kbuild" ] || die "cannot resolve linux-kbuild package for linux-headers-$kver"

	download "linux-image-$kver" "linux-headers-$kver" "$common" "$kbuild"
	unpack "$CACHE/kernel" "linux-image-$kver"
	unpack "$CACHE/headers" "linux-headers-$kver" "$common" "$kbuild"
	# The arch headers include the -common tree by absolute /usr/src path;
	# point it at the unpacked copy.
	local kdir
	kdir="$(kdir_of "$kver")"
	[ -f "$kdir/Makefile" ] || die "headers Makefile missing in $kdir"
	sed -i "s#\([ 	]\)/usr/src/#\1$CACHE/headers/usr/src/#g" "$kdir/Makefile"
	if grep -q '[ 	]/usr/src/' "$kdir/Makefile"; then die "could not rewrite /usr/src paths in $kdir/Makefile"; fi

	local libs
	mapfile -t libs < <(lib_closure "${GUEST_PKGS[@]}")
	log "guest packages: ${GUEST_PKGS[*]} + ${#libs[@]} library packages"
	download "${GUEST_PKGS[@]}" "${libs[@]}"
	unpack "$CACHE/root" "${GUEST_PKGS[@]}" "${libs[@]}"
	[ -f "$CACHE/kernel/boot/vmlinuz-$kver" ] || die "kernel image missing: $CACHE/kernel/boot/vmlinuz-$kver"
	echo "$kver" >"$CACHE/kver"
	echo "$key" >"$CACHE/fetch.done"
	[ "${1:-}" = no-header ] || fetch_hwsim_header || log "warning: no hwsim header; medium/hwsim's header test will skip"
}

cmd="${1:-fetch}"
case "$cmd" in
fetch)
	t0=$(date +%s)
	fetch_all
	log "done in $(($(date +%s) - t0)) s"
	kdir_of "$(cat "$CACHE/kver")"
	;;
kdir)
	QUIET=1 fetch_all no-header
	kdir_of "$(cat "$CACHE/kver")"
	;;
kver)
	QUIET=1 fetch_all no-header
	cat "$CACHE/kver"
	;;
hwsim-header)
	exec 9>"$CACHE/.fetch.lock"
	flock 9
	fetch_hwsim_header || die "could not extract $HWSIM_HEADER_IN_TREE from $SRC_PKG"
	hwsim_header
	;;
check)
	for ct in "${HOST_TOOLS[@]}"; do command -v "${ct%%:*}" >/dev/null 2>&1 || exit 1; done
	# complete for the current package list (editing GUEST_PKGS refetches)
	[ -s "$CACHE/kver" ] && [ -f "$CACHE/fetch.done" ] || exit 1
	[ "$(cat "$CACHE/fetch.done")" = "$(cat "$CACHE/kver") ${GUEST_PKGS[*]}" ] || exit 1
	;;
-h | --help | help)
	sed -n '2,/^set -euo/p' "$0" | grep -v SPDX-License-Identifier | sed '$d;s/^# \{0,1\}//'
	;;
*) die "unknown command '$cmd' (accepted: fetch, kdir, kver, check, hwsim-header, help)" ;;
esac
