#!/bin/sh
# SPDX-License-Identifier: MIT
# hwsim-attach: `vmedium run --attach` (the wmediumd recipe) through the product.
# Radios from `modprobe mac80211_hwsim radios=3`, moved into ns0..ns2 by
# hand, hostapd and wpa_supplicant started here; `vmedium run --backend
# hwsim --attach` serves them (names from their interfaces: wlan0..wlan2)
# and `vmctl` drives it.
#   6: association, pings, `vmctl deny -s wlan1 -d wlan2` through the medium
#   9: `vmctl capture` → hwsim-attach.pcap, exported; hwsim-attach.host.sh
#      has tshark on the host decode it (no malformed frames; beacons, EAPOL
#      and protected data present)
#   8: kill -9 → kernel falls back (dmesg) → a new `vmedium run --attach`
#      attaches again, traffic flows through it and the deny rule is restored
# vm-timeout: 360
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
METRICS=127.0.0.1:9380
PSK=vmedium-passphrase
ctl() { vmctl --socket "$SOCK" "$@"; }
txsum() { ctl --json radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }'; }
metric() { wget -qO- "http://$METRICS/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

# bad combinations are refused before anything happens
vmedium run --attach --backend tap --state-dir "$STATE" >"$VM_WORK/badcombo.out" 2>&1
rc=$?
assert_eq "$rc" 2 "exit code of vmedium run --attach --backend tap"
assert_contains "$(cat "$VM_WORK/badcombo.out")" "--attach serves existing vmedium.ko or mac80211_hwsim radios" "--attach --backend tap error"

hwsim_load 3
ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$i ip link set wlan$i up
done

start_medium() {
	vmedium run --backend hwsim --attach --socket "$SOCK" --state-dir "$STATE" --metrics-addr "$METRICS" \
		>"$VM_WORK/vmedium-$1.out" 2>"$VM_WORK/vmedium-$1.log" &
	VM_PID=$!
	wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium-$1.out"
	cat "$VM_WORK/vmedium-$1.out"
}
start_medium 1
assert_contains "$(cat "$VM_WORK/vmedium-1.out")" "attached to 3 mac80211_hwsim radios" "attach output"
for i in 0 1 2; do
	assert_contains "$(cat "$VM_WORK/vmedium-1.out")" "wlan$i: hwsim radio" "attach output"
done
assert_contains "$(ctl status)" "hwsim: live, 3 radios" "vmctl status"

start_hostapd ns0 wlan0 vmedium 6 "$PSK"
start_wpa ns1 wlan1 vmedium "$PSK" 2437
start_wpa ns2 wlan2 vmedium "$PSK" 2437
wait_wpa_completed 30 ns1 wlan1
wait_wpa_completed 30 ns2 wlan2
log "stations associated through the attached medium"

# vmctl radios: roles and states of radios whose daemons vmedium does not
# run, from cfg80211 (interface type, SSID, station dump)
AP_MAC="$(in_ns ns0 cat /sys/class/net/wlan0/address)"
_radios_ok() {
	radios="$(ctl radios | tr -s " ")"; echo "$radios" >"$VM_WORK/radios.log"
	echo "$radios" | grep -q "^wlan0 .* 2437 MHz ap enabled vmedium $AP_MAC " &&
		echo "$radios" | grep -q "^wlan1 .* 2437 MHz sta associated vmedium $AP_MAC -[0-9]* dBm " &&
		echo "$radios" | grep -q "^wlan2 .* 2437 MHz sta associated vmedium $AP_MAC -[0-9]* dBm "
}
wait_for 10 _radios_ok
ctl radios
nsta="$(ctl --json radios | awk '/"name": "/ { cur = $2 } cur ~ /"wlan0"/ && /"stations": \[/ { in_st = 1; next } in_st && /\]/ { in_st = 0 } in_st && /:/ { n++ } END { print n + 0 }')"
assert_eq "$nsta" 2 "stations of wlan0 in vmctl --json radios"
log "vmctl radios: wlan0 ap with 2 stations, wlan1/wlan2 associated to $AP_MAC"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"

# 6 (with items 2 and 4)
tx0="$(txsum)"
for src in 1 2 3; do
	for dst in 1 2 3; do
		[ $src = $dst ] || ping_ok ns$((src - 1)) 10.0.0.$dst 3
	done
done
tx1="$(txsum)"
[ "$tx1" -gt "$tx0" ] || fail "medium counters did not grow ($tx0 -> $tx1)"
assert_ge "$(metric vmedium_hwsim_frames_received_total)" 1 "vmedium_hwsim_frames_received_total"
ctl deny -s wlan1 -d wlan2 || fail "vmctl deny -s wlan1 -d wlan2"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 with wlan1 denied at wlan2"
vm_metric attach_deny_loss "$loss" %
ping_ok ns1 10.0.0.1 5
log "attach mode: pings and deny hold"

# 9: capture with beacons, EAPOL (a reassociation) and protected data
ctl capture -o "$VM_WORK/hwsim-attach.pcap" -t 6s >"$VM_WORK/capture.txt" 2>&1 &
cap=$!
sleep 1
in_ns ns2 wpa_cli -p /run/wpa_supplicant -i wlan2 reassociate
sleep 1
wait_wpa_completed 10 ns2 wlan2
ping_ok ns2 10.0.0.1 3
wait "$cap" || fail "capture failed: $(cat "$VM_WORK/capture.txt")"
cat "$VM_WORK/capture.txt"
assert_ge "$(wc -c <"$VM_WORK/hwsim-attach.pcap")" 1000 "capture size"
vm_export_file "$VM_WORK/hwsim-attach.pcap"

# 8: kill -9, fallback, re-attach with the deny rule restored
kill -9 "$VM_PID"
wait "$VM_PID" 2>/dev/null
wait_for 10 dmesg_has 'switching to perfect channel medium'
ping_ok ns1 10.0.0.3 3 # the kernel's own medium knows no deny rules
t0="$(cut -d' ' -f1 /proc/uptime)"
start_medium 2
_denied() { ctl --json deny 2>/dev/null | grep -q '"wlan2"'; }
# The saved rule is in force before any radio is served: listed from the
# control API's first answer, and at the first live status.
wait_for 30 ctl status
_denied || fail "the saved deny rule is not listed when the control API first answers ($(ctl status))"
ctl status --wait 30s || fail "vmctl status --wait: not live within 30 s"
_denied || fail "the saved deny rule is not listed at the first live status"
assert_contains "$(cat "$VM_WORK/vmedium-2.log")" "restored runtime state" "restart log"
_ping1() { in_ns "$1" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
wait_for 30 _ping1 ns1 10.0.0.1
t_ping="$(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
log "re-attached: deny listed, STA->AP ping ${t_ping}s after the new vmedium run"
vm_metric attach_restart_ping "$t_ping" s
tx2="$(txsum)"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 after restart (deny restored)"
ping_ok ns1 10.0.0.1 5
tx3="$(txsum)"
[ "$tx3" -gt "$tx2" ] || fail "traffic does not flow through the new medium ($tx2 -> $tx3)"
vm_metric attach_restart_tx_frames "$((tx3 - tx2))" frames
ctl deny -c || fail "vmctl deny -c"
ping_ok ns1 10.0.0.3 5
log "re-attached after kill -9: rules restored, traffic through the medium"

kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
# attach mode leaves the radios to their owner: they stay, on the kernel's medium
for i in 0 1 2; do
	in_ns ns$i ip link show wlan$i >/dev/null || fail "radio wlan$i disappeared when vmedium stopped"
done
ping_ok ns1 10.0.0.3 5
check_dmesg
log "hwsim-attach passed"
