#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the host tools the integration tests use (Debian packages), when
# running as root on a Debian-like system. As a normal user it only says what
# is missing: the tests that need those tools skip with a message.
set -u
need=()
command -v tshark  >/dev/null 2>&1 || need+=(tshark)
command -v iperf3  >/dev/null 2>&1 || need+=(iperf3)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v ip      >/dev/null 2>&1 || need+=(iproute2)
command -v ping    >/dev/null 2>&1 || need+=(iputils-ping)
# The kernel's own mac80211_hwsim.h (from Debian's linux-source package,
# into the VM cache, never into the tree) pins the hwsim protocol constants
# in the unit tests, which run before the VM tests fetch the rest.
if [ "$(id -u)" = 0 ]; then
	here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
	bash "$here/vm/fetch.sh" hwsim-header >/dev/null 2>/tmp/vmedium-setup-header.log ||
		echo "setup: fetching the kernel's mac80211_hwsim.h failed (see /tmp/vmedium-setup-header.log); the header test will skip"
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "setup: not root (or no apt-get): not installing ${need[*]}; tests that need them will skip"
	exit 0
fi
echo "setup: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
if ! apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/vmedium-setup.log 2>&1; then
	apt-get update -q >>/tmp/vmedium-setup.log 2>&1
	apt-get install -y -q --no-install-recommends "${need[@]}" >>/tmp/vmedium-setup.log 2>&1 ||
		{ echo "setup: apt-get install ${need[*]} failed (see /tmp/vmedium-setup.log); dependent tests will skip"; exit 0; }
fi
