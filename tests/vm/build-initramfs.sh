#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# build-initramfs.sh — build the cached BASE initramfs for the VM harness.
#
# The base archive holds everything that does not change between runs:
# dynamic busybox and its applet links, Debian's real network tools (ip, iw,
# hostapd, hostapd_cli, wpa_supplicant, wpa_cli, iperf3, ethtool, kmod and
# its modprobe/insmod/rmmod/lsmod/depmod/modinfo personalities) with every
# shared library they need and the dynamic loader, the kernel modules for
# the Wi-Fi stack (closure computed by kmod itself) with a modules.dep so
# in-guest modprobe and the kernel's request_module work, the signed
# regulatory database, and a minimal /etc. It has no /init: run.sh appends a
# small per-run overlay archive with /init, the scenario and the binaries
# under test (the kernel unpacks concatenated archives in order).
#
# The archive is rebuilt only when its inputs change (cache key: this
# script, the fetched package set, the module list).
#
# Usage: tests/vm/build-initramfs.sh     prints the path of the archive
# Environment: VMEDIUM_VM_CACHE (default tests/vm/cache), VMEDIUM_VM_MODULES
#   (space-separated extra kernel modules to ship, with their dependencies).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export VMEDIUM_VM_CACHE="${VMEDIUM_VM_CACHE:-$HERE/cache}"
CACHE="$VMEDIUM_VM_CACHE"

log() { echo "initramfs: $*" >&2; }
die() { echo "initramfs: error: $*" >&2; exit 1; }

# Kernel modules shipped in the guest (with their dependencies). ccm/ctr
# are needed by CCMP; gcm/cmac/ghash/aesni for GCMP/BIP; tun/veth/bridge for
# userspace radios and wired helpers; sch_netem for impairment tests.
MODULES=(cfg80211 mac80211 mac80211_hwsim ccm ctr gcm cmac ghash_generic aesni_intel
	michael_mic rfkill tun veth bridge sch_netem)
read -ra extra_modules <<<"${VMEDIUM_VM_MODULES:-}"
MODULES+=("${extra_modules[@]+"${extra_modules[@]}"}")
# Real binaries (path inside the unpacked Debian tree).
BINS=(bin/busybox bin/ip sbin/iw usr/sbin/hostapd usr/sbin/hostapd_cli sbin/wpa_supplicant
	sbin/wpa_cli usr/bin/iperf3 bin/kmod sbin/ethtool bin/ss sbin/tc bin/ps usr/bin/pgrep
	usr/bin/pkill)
KMOD_NAMES=(modprobe insmod rmmod lsmod depmod modinfo)

"$HERE/fetch.sh" check 2>/dev/null || QUIET=1 "$HERE/fetch.sh" fetch >/dev/null ||
	die "fetch.sh failed"
CACHE="$(cd "$CACHE" && pwd)"
KVER="$(cat "$CACHE/kver")"
ROOT="$CACHE/root"
KROOT="$CACHE/kernel"
OUT="$CACHE/initramfs-base.cpio.gz"

# One build at a time per cache; a waiting caller then finds it up to date.
exec 9>"$CACHE/.initramfs.lock"
flock 9
key="$( { sha256sum "$0" | cut -d' ' -f1; cat "$CACHE/fetch.done"; echo "${MODULES[*]}"; } | sha256sum | cut -d' ' -f1)"
if [ -f "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ]; then
	echo "$OUT"
	exit 0
fi
t0=$(date +%s)
log "building base for kernel $KVER"

STAGE="$CACHE/initramfs.stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,usr/local/bin,etc,proc,sys,dev,run,tmp,root,var,mnt}
# merged-/usr layout: one place per kind of file, every classic path works.
ln -s usr/bin "$STAGE/bin"
ln -s usr/sbin "$STAGE/sbin"
ln -s usr/lib "$STAGE/lib"
ln -s usr/lib64 "$STAGE/lib64"
ln -s ../run "$STAGE/var/run"
mkdir -p "$STAGE/var/log" "$STAGE/var/tmp"
chmod 1777 "$STAGE/tmp" "$STAGE/var/tmp"

# in_root resolves PATH inside the unpacked tree ROOT (following symlinks,
# absolute ones relative to ROOT) and sets REPLY to the real file; fails if
# there is none. No subshells: it runs for every library lookup.
in_root() {
	local p="$1" i t
	for ((i = 0; i < 40; i++)); do
		if [ -L "$ROOT/$p" ]; then
			t="$(readlink "$ROOT/$p")"
			case "$t" in
			/*) p="${t#/}" ;;
			*) p="${p%/*}/$t" ;;
			esac
		elif [ -e "$ROOT/$p" ]; then
			REPLY="$ROOT/$p"
			return 0
		else
			return 1
		fi
	done
	return 1
}

LIBDIRS=(lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib lib)
declare -A have_lib=()
# add_libs copies the NEEDED shared libraries of FILE (recursively).
add_libs() {
	local f="$1" so d src
	for so in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${have_lib[$so]:-}" ] && continue
		src=""
		for d in "${LIBDIRS[@]}"; do
			in_root "$d/$so" && src="$REPLY" && break
		done
		[ -n "$src" ] || die "library $so (needed by ${f#"$ROOT"/}) is not in the fetched packages; add its package to fetch.sh"
		have_lib[$so]=1
		cp "$src" "$STAGE/usr/lib/x86_64-linux-gnu/$so"
		add_libs "$src"
	done
}

# Dynamic loader (the interpreter every binary names).
in_root lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 || die "dynamic loader missing (libc6 not fetched?)"
ld="$REPLY"
cp "$ld" "$STAGE/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$STAGE/usr/lib64/ld-linux-x86-64.so.2"
have_lib[ld-linux-x86-64.so.2]=1
# glibc dlopens libgcc_s for thread cancellation/unwinding.
in_root lib/x86_64-linux-gnu/libgcc_s.so.1 && cp "$REPLY" "$STAGE/usr/lib/x86_64-linux-gnu/" && have_lib[libgcc_s.so.1]=1

for b in "${BINS[@]}"; do
	in_root "$b" || die "binary $b missing from the fetched packages"
	src="$REPLY"
	case "$b" in
	*sbin/*) dst="$STAGE/usr/sbin/$(basename "$b")" ;;
	*) dst="$STAGE/usr/bin/$(basename "$b")" ;;
	esac
	cp "$src" "$dst"
	add_libs "$src"
done
log "binaries + ${#have_lib[@]} libraries: $(($(date +%s) - t0)) s"
for n in "${KMOD_NAMES[@]}"; do ln -s ../bin/kmod "$STAGE/usr/sbin/$n"; done
# busybox applets for everything Debian's real tools do not provide. The
# dynamic busybox does not prefer its applets over PATH (busybox-static does,
# which is why it is not used).
for a in $("$STAGE/usr/bin/busybox" --list); do
	[ -e "$STAGE/usr/bin/$a" ] || [ -e "$STAGE/usr/sbin/$a" ] || [ -L "$STAGE/usr/sbin/$a" ] ||
		ln -s busybox "$STAGE/usr/bin/$a"
done

# Kernel modules: depmod the downloaded tree (the .deb carries no
# modules.dep), let modprobe compute the closure, then depmod the shipped
# subset so in-guest modprobe sees exactly what exists.
KM="$CACHE/kmod-tools"
rm -rf "$KM" && mkdir -p "$KM"
in_root bin/kmod || die "kmod missing from the fetched packages"
for n in depmod modprobe; do ln -s "$REPLY" "$KM/$n"; done
export LD_LIBRARY_PATH="$ROOT/lib/x86_64-linux-gnu:$ROOT/usr/lib/x86_64-linux-gnu"
if [ ! -s "$KROOT/lib/modules/$KVER/modules.dep" ]; then
	"$KM/depmod" -b "$KROOT" "$KVER" || die "depmod on the downloaded kernel tree failed"
	log "depmod of the full module tree: $(($(date +%s) - t0)) s"
fi
deps="$("$KM/modprobe" -d "$KROOT" -S "$KVER" --show-depends -a "${MODULES[@]}")" ||
	die "modprobe --show-depends failed for: ${MODULES[*]}"
mapfile -t mods < <(sed -n 's/^insmod \([^ ]*\.ko[^ ]*\).*/\1/p' <<<"$deps" | sort -u)
[ "${#mods[@]}" -gt 0 ] || die "modprobe --show-depends found no modules for: ${MODULES[*]}"
for m in "${mods[@]}"; do
	rel="${m#"$KROOT"/}"
	mkdir -p "$STAGE/$(dirname "$rel")"
	cp "$m" "$STAGE/$rel"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
	cp "$KROOT/lib/modules/$KVER/$f" "$STAGE/lib/modules/$KVER/"
done
"$KM/depmod" -b "$STAGE" "$KVER" || die "depmod on the initramfs tree failed"
unset LD_LIBRARY_PATH
log "${#mods[@]} kernel modules: $(for m in "${mods[@]}"; do basename "$m" .ko; done | tr '\n' ' ')"

# Signed regulatory database, trusted by Debian's kernel.
mkdir -p "$STAGE/lib/firmware"
cp "$ROOT/lib/firmware/regulatory.db-debian" "$STAGE/lib/firmware/regulatory.db"
cp "$ROOT/lib/firmware/regulatory.db.p7s-debian" "$STAGE/lib/firmware/regulatory.db.p7s"

# Minimal /etc.
cat >"$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$STAGE/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'root::0:0:99999:7:::\n' >"$STAGE/etc/shadow"
printf '127.0.0.1 localhost vm\n::1 localhost\n' >"$STAGE/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$STAGE/etc/nsswitch.conf"
printf 'vm\n' >"$STAGE/etc/hostname"
cp "$ROOT/etc/iproute2/"* "$STAGE/etc/" 2>/dev/null || true
[ -d "$ROOT/usr/share/iproute2" ] && mkdir -p "$STAGE/usr/share" && cp -r "$ROOT/usr/share/iproute2" "$STAGE/usr/share/"
printf '/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' >"$STAGE/etc/ld.so.conf"
ldconfig -r "$STAGE" 2>/dev/null || log "ldconfig -r failed; relying on the loader's default multiarch path"
# Console node, for the window before /init mounts devtmpfs.
[ "$(id -u)" = 0 ] && mknod -m 600 "$STAGE/dev/console" c 5 1

(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 >"$OUT.tmp") ||
	die "cpio/gzip failed"
mv "$OUT.tmp" "$OUT"
echo "$key" >"$OUT.key"
log "$(du -h "$OUT" | cut -f1) ($(du -sh "$STAGE" | cut -f1) unpacked) in $(($(date +%s) - t0)) s"
rm -rf "$STAGE"
echo "$OUT"
