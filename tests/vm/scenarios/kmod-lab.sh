#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod-lab: the kmod lab with the Go backend on the
# real module. The seed lab (vw0 AP in ns0, vw1/vw2 stations in ns1/ns2)
# is brought up on vmedium.ko by medium/lab's kmod backend inside the
# integration test binary kmod-lab.test (package tests/kmodvm, built by
# build-bins.sh from the vm-go-test line below, or by kmod/vm-test.sh):
# `iw scan` shows SSID vmedium at the signal the medium assigns, `iw link`
# and `station dump` show the association, pings STA→STA/STA→AP/AP→STA
# have 0 % loss, deny/allow/clear behave, a signal change is visible in
# `iw link` and `station get` within 1 s (TestRootVMLab); the medium dies and
# comes back, stations re-associate by themselves (TestRootVMRestart);
# wpa_supplicant connects a vw station (TestRootVMWpaSupplicant); one medium,
# three kinds: a vw station joins a TAP-radio Go AP and a hostapd AP on a
# hwsim radio and pings through each (TestRootVMThreeKinds). Then rmmod
# with the interfaces up in namespaces, and dmesg is clean throughout.
# vm-timeout: 400
# vm-go-test: ./tests/kmodvm kmod-lab.test
. /vm/lib.sh

[ -f /vm/modules/vmedium.ko ] || fail "no /vm/modules/vmedium.ko (run kmod/vm-test.sh on the host)"
command -v kmod-lab.test >/dev/null || skip "kmod-lab.test not shipped (run kmod/vm-test.sh on the host)"
assert modprobe cfg80211
assert insmod /vm/modules/vmedium.ko
wait_for 10 test -e /sys/class/net/vw2
# TestRootVMThreeKinds puts a TAP radio and a hwsim radio on the same medium.
assert modprobe tun
[ -e /dev/net/tun ] || { mkdir -p /dev/net && mknod /dev/net/tun c 10 200; }
assert modprobe mac80211_hwsim radios=0
# medium/netnsutil's netlink handles open every netlink family (XFRM and
# NETFILTER too); without xfrm_user and nfnetlink (not in the harness's
# module list) the TAP radio cannot be configured in a namespace. Load them
# when shipped (VMEDIUM_VM_MODULES="xfrm_user nfnetlink").
{ modprobe xfrm_user && modprobe nfnetlink; } 2>/dev/null ||
	log "xfrm_user/nfnetlink not available: TestRootVMThreeKinds will fail to configure its TAP radio"

# The namespaces are made here: netnsutil.Create fails in the guest
# (its netlink handle wants xfrm_user, which the guest lacks).
ns_add ns0 ns1 ns2
cd /vm/work
VMEDIUM_REUSE_NETNS=1 kmod-lab.test -test.run '^TestRootVM' -test.v -test.timeout 300s 2>&1 | tee /vm/work/kmod-lab-test.log
! grep -q '^--- FAIL' /vm/work/kmod-lab-test.log && grep -q '^PASS$' /vm/work/kmod-lab-test.log || fail "kmod-lab.test failed"

log "no medium: carriers off; rmmod with the interfaces up in ns0-ns2"
for i in 0 1 2; do
	phy_to_ns vw_phy$i ns$i
	in_ns ns$i ip link set vw$i up
	assert_eq "$(in_ns ns$i cat /sys/class/net/vw$i/carrier)" 0 "vw$i carrier"
done
assert rmmod vmedium
check_dmesg
dmesg | grep -E 'vmedium' | tail -n 20
