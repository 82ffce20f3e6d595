#!/bin/sh
# SPDX-License-Identifier: MIT
# hwsim-bench: vmedium vs the in-kernel medium in one guest run. Three module radios in
# ns0..ns2 (WPA2: hostapd in ns0, stations in ns1/ns2), the median RTT of 25
# STA→STA pings, iperf3 STA→STA (ns1 → ns2 through the AP): TCP 10 s and UDP at the in-kernel TCP rate
# for 5 s, first with the kernel's own medium, then through the product
# (`vmedium run --backend hwsim --attach`). Prints VM-METRIC lines; fails
# only if traffic breaks or vmedium is not the medium.
# vm-timeout: 360
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
PSK=vmedium-passphrase
ctl() { vmctl --socket "$SOCK" "$@"; }
txsum() { ctl --json radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }'; }

hwsim_load 3
ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$i ip link set wlan$i up
done
start_hostapd ns0 wlan0 vmedium 6 "$PSK"
start_wpa ns1 wlan1 vmedium "$PSK" 2437
start_wpa ns2 wlan2 vmedium "$PSK" 2437
wait_wpa_completed 30 ns1 wlan1
wait_wpa_completed 30 ns2 wlan2
ping_ok ns1 10.0.0.3 3

iperf_udp() { # NS_SERVER ADDR NS_CLIENT SECS RATE_M PORT → "received_mbit loss_percent"
	in_ns "$1" iperf3 -s -1 -D -p "$6" -B "$2" --logfile "$VM_WORK/iperf3-udp-server-$6.log" || fail "iperf3 udp server"
	sleep 1
	in_ns "$3" iperf3 -u -p "$6" -c "$2" -t "$4" -b "${5}M" -f m >"$VM_WORK/iperf3-udp.log" 2>&1 || fail "iperf3 udp: $(cat "$VM_WORK/iperf3-udp.log")"
	cat "$VM_WORK/iperf3-udp.log" >&2
	awk '/receiver$/ { for (i = 1; i <= NF; i++) { if ($i == "Mbits/sec") m = $(i-1); if ($i ~ /^\(.*%\)$/) { l = $i; gsub(/[()%]/, "", l) } } } END { print m, l }' "$VM_WORK/iperf3-udp.log"
}

_ping_median() { # NS ADDR COUNT: median RTT in ms of COUNT pings 0.2 s apart
	in_ns "$1" ping -c "$3" -i 0.2 -W 2 "$2" >"$VM_WORK/ping-rtt.txt" 2>&1
	sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$VM_WORK/ping-rtt.txt" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
k_rtt="$(_ping_median ns1 10.0.0.3 25)"
[ -n "$k_rtt" ] || fail "no ping RTT: $(cat "$VM_WORK/ping-rtt.txt")"
vm_metric bench_kernel_ping_median "$k_rtt" ms

k_tcp="$(iperf_tcp ns2 10.0.0.3 ns1 10)" || fail "iperf3: $k_tcp"
log "kernel medium: TCP $k_tcp Mbit/s"
vm_metric bench_kernel_tcp "$k_tcp" Mbit/s
rate="${k_tcp%.*}"
[ "$rate" -ge 1 ] || rate=1
set -- $(iperf_udp ns2 10.0.0.3 ns1 5 "$rate" 5202)
vm_metric bench_kernel_udp_rx "$1" Mbit/s
vm_metric bench_kernel_udp_loss "$2" %

vmedium run --backend hwsim --attach --socket "$SOCK" --state-dir /run/vmedium --metrics-addr off \
	>"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
cat "$VM_WORK/vmedium.out"
sleep 1
ping_ok ns1 10.0.0.3 3
v_rtt="$(_ping_median ns1 10.0.0.3 25)"
[ -n "$v_rtt" ] || fail "no ping RTT: $(cat "$VM_WORK/ping-rtt.txt")"
vm_metric bench_vmedium_ping_median "$v_rtt" ms
vm_metric bench_ping_ratio "$(awk -v a="$v_rtt" -v b="$k_rtt" 'BEGIN { printf "%.2f", a / b }')"
log "STA->STA ping median: vmedium $v_rtt ms, kernel medium $k_rtt ms"
tx0="$(txsum)"
(sleep 5; top -b -n 1 | head -n 15 >"$VM_WORK/top.txt") &
v_tcp="$(iperf_tcp ns2 10.0.0.3 ns1 10)" || fail "iperf3: $v_tcp"
tx1="$(txsum)"
assert_ge "$((tx1 - tx0))" 1000 "frames through vmedium during iperf3"
vm_metric bench_vmedium_frames_tcp "$((tx1 - tx0))" frames
cat "$VM_WORK/top.txt"
log "vmedium: TCP $v_tcp Mbit/s (kernel medium $k_tcp)"
vm_metric bench_vmedium_tcp "$v_tcp" Mbit/s
set -- $(iperf_udp ns2 10.0.0.3 ns1 5 "$rate" 5203)
vm_metric bench_vmedium_udp_rx "$1" Mbit/s
vm_metric bench_vmedium_udp_loss "$2" %
ratio="$(awk -v a="$v_tcp" -v b="$k_tcp" 'BEGIN { printf "%.2f", a / b }')"
vm_metric bench_tcp_ratio "$ratio"
portid="$(sed -n 's/.*registered as the medium.* port_id=\([0-9]*\).*/\1/p' "$VM_WORK/vmedium.log")"
vm_metric bench_netlink_drops "$(awk -v pid="$portid" 'NR > 1 && $2 == 16 && $3 == pid { print $9 }' /proc/net/netlink)"
for i in 0 1 2; do
	vm_metric "bench_wlan${i}_d_tx_dropped" "$(in_ns ns$i ethtool -S wlan$i | sed -n 's/.*d_tx_dropped:[[:space:]]*//p')"
done
in_ns ns1 iw dev wlan1 station dump | grep -E 'tx retries|tx failed|tx bitrate'
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium during the run"
kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
log "hwsim-bench done"
