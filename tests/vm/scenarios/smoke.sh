#!/bin/sh
# SPDX-License-Identifier: MIT
# smoke: proves the harness with the kernel's own medium (no vmedium).
# Three mac80211_hwsim radios in ns0/ns1/ns2, hostapd WPA2-PSK (SSID vmedium,
# channel 6) in ns0, wpa_supplicant in ns1/ns2, 10.0.0.1-3/24, both stations
# COMPLETED, pings in all directions, 5 s iperf3 STA→STA, clean dmesg.
. /vm/lib.sh

PSK=vmedium-passphrase

hwsim_load 3
ns_add ns0 ns1 ns2
i=0
for ifc in wlan0 wlan1 wlan2; do
	phy_to_ns "$(phy_of $ifc)" ns$i
	i=$((i + 1))
done
for i in 0 1 2; do
	in_ns ns$i ip link set wlan$i up
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
done

start_hostapd ns0 wlan0 vmedium 6 "$PSK"
start_wpa ns1 wlan1 vmedium "$PSK" 2437
start_wpa ns2 wlan2 vmedium "$PSK" 2437
wait_wpa_completed 30 ns1 wlan1
wait_wpa_completed 30 ns2 wlan2
log "both stations associated (WPA2-PSK)"
in_ns ns1 iw dev wlan1 link
assert_contains "$(in_ns ns1 wpa_cli -p /run/wpa_supplicant -i wlan1 status)" "pairwise_cipher=CCMP" "wlan1 status"

for src in 1 2 3; do
	for dst in 1 2 3; do
		[ $src = $dst ] && continue
		ping_ok ns$((src - 1)) 10.0.0.$dst 5
	done
done

bw="$(iperf_tcp ns2 10.0.0.3 ns1 5)" || fail "iperf3: $bw"
[ -n "$bw" ] || fail "iperf3 reported no receiver rate; see $VM_WORK/iperf3-client.log"
log "iperf3 TCP ns1 -> ns2 (via AP), kernel medium: $bw Mbit/s"
vm_metric iperf_tcp_kernel_medium "$bw" Mbit/s
# The rate depends on the host's load (TCG); the harness only requires that
# data flowed. Absolute figures belong to the benchmark scenarios.
awk -v b="$bw" 'BEGIN { exit !(b > 0) }' || fail "iperf3 moved no data (receiver $bw Mbit/s)"

in_ns ns0 iw dev wlan0 station dump | grep -E 'Station|signal:|tx retries|tx failed'
check_dmesg
log "smoke passed"
# exercise the guest → host file channel with the stations' logs
vm_export_file "$VM_WORK/wpa-wlan1.log"
vm_export_file "$VM_WORK/hostapd-wlan0.log"
