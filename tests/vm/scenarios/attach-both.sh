#!/bin/sh
# SPDX-License-Identifier: MIT
# attach-both: `vmedium run --attach` with mac80211_hwsim and vmedium.ko
# both loaded serves both kinds on one medium, each radio named after its
# interface (vmctl status lists both kinds). Across kinds on the one air:
# hostapd (WPA2-PSK, CCMP) on the hwsim radio wlan0, wpa_supplicant on
# the module radio vw1 reaches COMPLETED with CCMP (mac80211 encrypts on
# one side, the kmod backend's Go "firmware" on the other); pings pass;
# vmctl deny -s wlan0 -d vw1 cuts the link and deny -c restores it.
# vm-timeout: 240
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
PSK=vmedium-passphrase
ctl() { vmctl --socket "$SOCK" "$@"; }

[ -f /vm/modules/vmedium.ko ] || fail "no /vm/modules/vmedium.ko (build-bins.sh builds it with kmod/build-vm.sh)"
hwsim_load 1
assert insmod /vm/modules/vmedium.ko radios=2
wait_for 10 test -e /sys/class/net/vw1

ns_add ns0 ns1
phy_to_ns "$(phy_of wlan0)" ns0
phy_to_ns vw_phy1 ns1
in_ns ns0 ip addr add 10.0.0.1/24 dev wlan0
in_ns ns0 ip link set wlan0 up
in_ns ns1 ip addr add 10.0.0.2/24 dev vw1
in_ns ns1 ip link set vw1 up

vmedium run --attach --socket "$SOCK" --state-dir "$STATE" --metrics-addr off \
	>"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
out="$(cat "$VM_WORK/vmedium.out")"
echo "$out"
assert_contains "$out" "attached to 2 vmedium.ko radios" "attach output"
assert_contains "$out" "attached to 1 mac80211_hwsim radio" "attach output"
assert_contains "$out" "wlan0: hwsim radio" "attach output"
assert_contains "$out" "vw1: kmod radio" "attach output"
st="$(ctl status)"
echo "$st"
assert_contains "$st" "kmod: live, 2 radios" "vmctl status"
assert_contains "$st" "hwsim: live, 1 radio" "vmctl status"

start_hostapd ns0 wlan0 vmedium 6 "$PSK"
start_wpa ns1 vw1 vmedium "$PSK" 2437
wait_wpa_completed 40 ns1 vw1
s="$(in_ns ns1 wpa_cli -p /run/wpa_supplicant -i vw1 status)"
echo "$s"
assert_contains "$s" "pairwise_cipher=CCMP" "vw1 wpa_cli status"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 3
ctl radios
ctl deny -s wlan0 -d vw1 || fail "vmctl deny -s wlan0 -d vw1"
loss="$(ping_loss ns1 10.0.0.1 5)"
assert_eq "$loss" 100 "vw1 -> wlan0 loss with wlan0 denied at vw1"
ctl deny -c || fail "vmctl deny -c"
wait_wpa_completed 40 ns1 vw1
wait_for 20 sh -c "ip netns exec ns1 ping -c 1 -W 1 10.0.0.1 >/dev/null"
ping_ok ns1 10.0.0.1 3
log "hwsim AP and kmod station on one attached medium"

for p in "$VM_WORK"/wpa-*.pid "$VM_WORK"/hostapd-*.pid; do kill "$(cat "$p")" 2>/dev/null; done
kill -TERM "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
ip netns del ns1
wait_for 10 test -e /sys/class/net/vw1
assert rmmod vmedium
check_dmesg
log "attach-both passed"
