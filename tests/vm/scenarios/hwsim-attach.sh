#!/bin/sh
# hwsim-attach: issue 4 acceptance items 6, 8 and 9. Radios from
# `modprobe mac80211_hwsim radios=3`, moved into ns0..ns2 by hand, hostapd
# and wpa_supplicant started here; the medium attaches to them (names from
# their interfaces: wlan0..wlan2).
#   6: association, pings, `deny -s wlan1 -d wlan2` through the medium
#   9: a capture decoded by tshark on the host (exported as hwsim-attach.pcap)
#   8: kill -9 → kernel falls back (dmesg) → a new medium attaches again,
#      traffic flows through it and the deny rule is restored
# Driver: the backend's test driver hwsimd (VMEDIUM_VM_BINDIR) until
# cmd/vmedium serves the hwsim backend.
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
PSK=vmedium-passphrase
command -v hwsimd >/dev/null || skip "hwsimd not in the guest (build medium/hwsim/cmd/hwsimd into VMEDIUM_VM_BINDIR)"
ctl() { hwsimd ctl -sock "$SOCK" "$@"; }
txsum() { ctl radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }'; }

hwsim_load 3
ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$i ip link set wlan$i up
done

start_medium() {
	hwsimd attach -sock "$SOCK" -state "$STATE" >"$VM_WORK/hwsimd-$1.log" 2>&1 &
	VM_PID=$!
	wait_for 30 grep -q '^READY' "$VM_WORK/hwsimd-$1.log"
	wait_for 10 test -S "$SOCK"
	cat "$VM_WORK/hwsimd-$1.log"
}
start_medium 1
assert_contains "$(cat "$VM_WORK/hwsimd-1.log")" "attached 3 radios" "attach output"

start_hostapd ns0 wlan0 vmedium 6 "$PSK"
start_wpa ns1 wlan1 vmedium "$PSK" 2437
start_wpa ns2 wlan2 vmedium "$PSK" 2437
wait_wpa_completed 30 ns1 wlan1
wait_wpa_completed 30 ns2 wlan2
log "stations associated through the attached medium"
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
ctl deny wlan1 wlan2 >/dev/null || fail "ctl deny wlan1 wlan2"
assert_eq "$(ping_loss ns1 10.0.0.3 5)" 100 "ns1 -> 10.0.0.3 with wlan1 denied at wlan2"
ping_ok ns1 10.0.0.1 5
log "attach mode: pings and deny hold"

# 9: capture with beacons, EAPOL (a reassociation) and protected data
ctl capture - 6 "$VM_WORK/hwsim-attach.pcap" >"$VM_WORK/capture-stats.json" &
cap=$!
sleep 1
in_ns ns2 wpa_cli -p /run/wpa_supplicant -i wlan2 reassociate
sleep 1
wait_wpa_completed 10 ns2 wlan2
ping_ok ns2 10.0.0.1 3
wait "$cap" || fail "capture failed: $(cat "$VM_WORK/capture-stats.json")"
cat "$VM_WORK/capture-stats.json"
assert_ge "$(wc -c <"$VM_WORK/hwsim-attach.pcap")" 1000 "capture size"
vm_export_file "$VM_WORK/hwsim-attach.pcap"

# 8: kill -9, fallback, re-attach with the deny rule restored
kill -9 "$VM_PID"
wait "$VM_PID" 2>/dev/null
wait_for 10 dmesg_has 'switching to perfect channel medium'
ping_ok ns1 10.0.0.3 3 # the kernel's own medium knows no deny rules
start_medium 2
assert_contains "$(cat "$VM_WORK/hwsimd-2.log")" "restored state" "restart output"
assert_contains "$(ctl denylist)" '"wlan2"' "deny list after restart"
tx2="$(txsum)"
assert_eq "$(ping_loss ns1 10.0.0.3 5)" 100 "ns1 -> 10.0.0.3 after restart (deny restored)"
ping_ok ns1 10.0.0.1 5
tx3="$(txsum)"
[ "$tx3" -gt "$tx2" ] || fail "traffic does not flow through the new medium ($tx2 -> $tx3)"
ctl clear >/dev/null
ping_ok ns1 10.0.0.3 5
log "re-attached after kill -9: rules restored, traffic through the medium"

kill "$VM_PID"
wait "$VM_PID"
check_dmesg
log "hwsim-attach passed"
