#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod-load: the module builds, loads, and unloads cleanly.
# vmedium.ko (built on the host by kmod/build-vm.sh against the guest's
# headers, shipped in /vm/modules) loads with radios=3; `iw dev` shows
# vw0-vw2 each on its own phy vw_phy0-2; the phys move to ns0-ns2; the
# interfaces come up without a medium (carrier off, transmissions dropped
# and counted, nothing blocks); rmmod with the interfaces up in the
# namespaces is clean; a second load/unload cycle works; dmesg has no
# WARNING/BUG.
# vm-timeout: 240
. /vm/lib.sh

[ -f /vm/modules/vmedium.ko ] || fail "no /vm/modules/vmedium.ko (run kmod/build-vm.sh on the host)"
assert modprobe cfg80211
assert insmod /vm/modules/vmedium.ko
wait_for 10 test -e /sys/class/net/vw2

out="$(iw dev)"
echo "$out"
for i in 0 1 2; do
	assert_contains "$out" "Interface vw$i" "iw dev"
	assert_eq "$(phy_of vw$i)" "vw_phy$i" "phy of vw$i"
done
assert_eq "$(ls /sys/class/ieee80211 | grep -c '^vw_phy')" 3 "number of vw phys"
assert_contains "$(iw phy vw_phy0 info)" "2412 MHz [1]" "vw_phy0 channels"
assert_contains "$(iw phy vw_phy0 info)" "2472 MHz [13]" "vw_phy0 channels"
assert_contains "$(iw phy vw_phy0 info)" "54.0 Mbps" "vw_phy0 rates"
assert_contains "$(iw phy vw_phy0 info)" "AP" "vw_phy0 interface modes"

ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns vw_phy$i ns$i
	in_ns ns$i ip link set vw$i up
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev vw$i
done
assert_contains "$(in_ns ns1 iw dev)" "Interface vw1" "iw dev in ns1"
assert_eq "$(cat /proc/net/dev | grep -c vw)" 0 "vw interfaces left in init_net"

# No medium: carrier off (the qdisc drops what the stack sends), scans and
# connects fail at once instead of hanging.
assert_eq "$(in_ns ns1 cat /sys/class/net/vw1/carrier)" 0 "vw1 carrier without a medium"
assert_fail in_ns ns1 ping -c 1 -W 1 10.0.0.1
assert_fail in_ns ns1 iw dev vw1 scan
assert_fail in_ns ns1 iw dev vw1 connect vmedium

# managed <-> AP and back
in_ns ns0 ip link set vw0 down
assert in_ns ns0 iw dev vw0 set type __ap
assert_contains "$(in_ns ns0 iw dev vw0 info)" "type AP" "vw0 type"
assert in_ns ns0 iw dev vw0 set type managed
assert_contains "$(in_ns ns0 iw dev vw0 info)" "type managed" "vw0 type"
in_ns ns0 ip link set vw0 up

log "unloading with interfaces up in namespaces"
assert rmmod vmedium
assert_fail test -e /sys/class/ieee80211/vw_phy1
assert_eq "$(in_ns ns1 ip -o link | grep -c vw1)" 0 "vw1 gone from ns1"

log "second load/unload cycle, radios=5"
assert insmod /vm/modules/vmedium.ko radios=5
wait_for 10 test -e /sys/class/net/vw4
assert_eq "$(phy_of vw4)" vw_phy4 "phy of vw4"
phy_to_ns vw_phy4 ns2
assert rmmod vmedium
assert_fail insmod /vm/modules/vmedium.ko radios=0
check_dmesg
dmesg | grep -E 'vmedium' | tail -n 20
