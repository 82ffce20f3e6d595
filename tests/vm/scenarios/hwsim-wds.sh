#!/bin/sh
# SPDX-License-Identifier: MIT
# hwsim-wds: four-address (WDS) bridging with the kernel's Wi-Fi stack on
# vmedium's medium (`vmedium run --attach` serving mac80211_hwsim radios).
# A managed interface cannot join a bridge (checked); with
# `iw dev wlan1 set 4addr on` it can: ns1 bridges wlan1 with a veth to a
# LAN namespace (10.0.0.10). hostapd in ns0 runs WPA2-PSK with wds_sta=1
# and bridge=br0, so the station gets its own AP_VLAN interface
# (wlan0.staN, N its AID) in br0. The LAN host then reaches the AP and the
# other station, and they reach it; `vmctl capture` during the pings is
# exported and hwsim-wds.host.sh has tshark count the four-address frames
# (about 30 s under TCG).
# vm-timeout: 240
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
PSK=vmedium-passphrase
ctl() { vmctl --socket "$SOCK" "$@"; }

hwsim_load 3
ns_add ns0 ns1 ns2 lan1
for i in 0 1 2; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
done

vmedium run --backend hwsim --attach --socket "$SOCK" --state-dir "$STATE" \
	>"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
assert_contains "$(ctl status)" "hwsim: live, 3 radios" "vmctl status"

# AP: br0 holds wlan0 (hostapd adds it) and, with wds_sta, each
# four-address station's AP_VLAN interface.
in_ns ns0 ip link add br0 type bridge
in_ns ns0 ip addr add 10.0.0.1/24 dev br0
in_ns ns0 ip link set br0 up
cat >"$VM_WORK/hostapd-wlan0.conf" <<CONF
interface=wlan0
bridge=br0
driver=nl80211
ctrl_interface=/run/hostapd
ssid=vmedium
hw_mode=g
channel=6
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=$PSK
wds_sta=1
CONF
in_ns ns0 hostapd -B -t -f "$VM_WORK/hostapd-wlan0.log" -P "$VM_WORK/hostapd-wlan0.pid" "$VM_WORK/hostapd-wlan0.conf" ||
	fail "hostapd with wds_sta=1 failed to start"
_enabled() { in_ns ns0 hostapd_cli -p /run/hostapd -i wlan0 status 2>/dev/null | grep -q '^state=ENABLED'; }
wait_for 15 _enabled
assert_contains "$(in_ns ns0 ip -o link show wlan0)" "master br0" "wlan0 in br0"

# Station 2: an ordinary managed interface cannot be bridged.
in_ns ns2 ip link add br2 type bridge
assert_fail in_ns ns2 ip link set wlan2 master br2
log "a managed (three-address) interface refuses to join a bridge"
in_ns ns2 ip link del br2
in_ns ns2 ip addr add 10.0.0.3/24 dev wlan2
in_ns ns2 ip link set wlan2 up
start_wpa ns2 wlan2 vmedium "$PSK" 2437

# Station 1: 4addr on, bridged with a veth to the LAN namespace.
in_ns ns1 iw dev wlan1 set 4addr on
assert_contains "$(in_ns ns1 iw dev wlan1 info)" "4addr: on" "iw dev wlan1 info"
in_ns ns1 ip link add br1 type bridge
in_ns ns1 ip link set wlan1 master br1 || fail "wlan1 with 4addr on did not join br1"
in_ns ns1 ip link add vl-lan1 type veth peer name eth0 netns lan1
in_ns ns1 ip link set vl-lan1 master br1
in_ns ns1 ip addr add 10.0.0.2/24 dev br1
for l in wlan1 vl-lan1 br1; do in_ns ns1 ip link set $l up; done
in_ns lan1 ip addr add 10.0.0.10/24 dev eth0
in_ns lan1 ip link set eth0 up
cat >"$VM_WORK/wpa-wlan1.conf" <<CONF
ctrl_interface=/run/wpa_supplicant
network={
	ssid="vmedium"
	scan_ssid=1
	scan_freq=2437
	freq_list=2437
	psk="$PSK"
}
CONF
in_ns ns1 wpa_supplicant -B -D nl80211 -i wlan1 -b br1 -c "$VM_WORK/wpa-wlan1.conf" \
	-f "$VM_WORK/wpa-wlan1.log" -P "$VM_WORK/wpa-wlan1.pid" || fail "wpa_supplicant -b br1"
wait_wpa_completed 30 ns1 wlan1
wait_wpa_completed 30 ns2 wlan2
log "both stations associated (WPA2-PSK); wlan1 in four-address mode"

# hostapd moved the four-address station to an AP_VLAN of its own, in br0.
_vlan() { in_ns ns0 ip -o link show | grep -q 'wlan0\.sta[0-9]*.*master br0'; }
wait_for 15 _vlan
in_ns ns0 ip -o link show | grep 'wlan0\.sta'
grep -i 'wds' "$VM_WORK/hostapd-wlan0.log" | head -3

ctl capture -o "$VM_WORK/hwsim-wds.pcap" -t 8s >"$VM_WORK/capture.txt" 2>&1 &
cap=$!
sleep 1
ping_ok lan1 10.0.0.1 3 # LAN host → wlan1 (4addr) → wlan0.staN → br0
ping_ok ns2 10.0.0.10 3 # the other station → AP → wlan0.staN → wlan1 → LAN host
ping_ok lan1 10.0.0.3 3
ping_ok ns0 10.0.0.2 3
wait "$cap" || fail "capture failed: $(cat "$VM_WORK/capture.txt")"
cat "$VM_WORK/capture.txt"
log "the LAN host behind the four-address station is on the AP's broadcast domain"
in_ns ns1 ip neigh
check_dmesg
vm_export_file "$VM_WORK/hwsim-wds.pcap"
