#!/bin/sh
# hwsim-bench: issue 4 item 10 in one guest run. Three module radios in
# ns0..ns2 (WPA2: hostapd in ns0, stations in ns1/ns2), iperf3 STA→STA
# (ns1 → ns2 through the AP): TCP 10 s and UDP at the in-kernel TCP rate
# for 5 s, first with the kernel's own medium, then through the medium
# (hwsimd attach). Prints VM-METRIC lines; fails only if traffic breaks.
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
PSK=vmedium-passphrase
command -v hwsimd >/dev/null || skip "hwsimd not in the guest"

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

k_tcp="$(iperf_tcp ns2 10.0.0.3 ns1 10)" || fail "iperf3: $k_tcp"
log "kernel medium: TCP $k_tcp Mbit/s"
vm_metric bench_kernel_tcp "$k_tcp" Mbit/s
rate="${k_tcp%.*}"
[ "$rate" -ge 1 ] || rate=1
set -- $(iperf_udp ns2 10.0.0.3 ns1 5 "$rate" 5202)
vm_metric bench_kernel_udp_rx "$1" Mbit/s
vm_metric bench_kernel_udp_loss "$2" %

hwsimd attach ${HWSIM_BENCH_PROFILE:+-cpuprofile "$VM_WORK/hwsimd.pprof"} -sock "$SOCK" -state /run/vmedium >"$VM_WORK/hwsimd.log" 2>&1 &
VM_PID=$!
wait_for 30 grep -q '^READY' "$VM_WORK/hwsimd.log"
sleep 1
ping_ok ns1 10.0.0.3 3
(sleep 5; top -b -n 1 | head -n 15 >"$VM_WORK/top.txt") &
v_tcp="$(iperf_tcp ns2 10.0.0.3 ns1 10)" || fail "iperf3: $v_tcp"
cat "$VM_WORK/top.txt"
log "vmedium: TCP $v_tcp Mbit/s (kernel medium $k_tcp)"
vm_metric bench_vmedium_tcp "$v_tcp" Mbit/s
set -- $(iperf_udp ns2 10.0.0.3 ns1 5 "$rate" 5203)
vm_metric bench_vmedium_udp_rx "$1" Mbit/s
vm_metric bench_vmedium_udp_loss "$2" %
ratio="$(awk -v a="$v_tcp" -v b="$k_tcp" 'BEGIN { printf "%.2f", a / b }')"
vm_metric bench_tcp_ratio "$ratio"
portid="$(sed -n 's/.*registered as the medium.* port_id=\([0-9]*\).*/\1/p' "$VM_WORK/hwsimd.log")"
vm_metric bench_netlink_drops "$(awk -v pid="$portid" 'NR > 1 && $2 == 16 && $3 == pid { print $9 }' /proc/net/netlink)"
for i in 0 1 2; do
	vm_metric "bench_wlan${i}_d_tx_dropped" "$(in_ns ns$i ethtool -S wlan$i | sed -n 's/.*d_tx_dropped:[[:space:]]*//p')"
done
in_ns ns1 iw dev wlan1 station dump | grep -E 'tx retries|tx failed|tx bitrate'
kill "$VM_PID"
wait "$VM_PID"
[ -f "$VM_WORK/hwsimd.pprof" ] && vm_export_file "$VM_WORK/hwsimd.pprof"
log "hwsim-bench done"
