#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod-wpa2: the classic virtual Wi-Fi driver workflow on vmedium.ko with
# `vmedium run --attach` as the medium and the real daemons in charge:
#   insmod vmedium.ko radios=3 → iw dev shows vw0-vw2, iw list shows CCMP;
#   each phy into ns0-ns2, addresses; vmedium run --attach serves vw0-vw2;
#   hostapd (wpa=2, WPA-PSK, CCMP) on vw0 enables; wpa_supplicant on
#   vw1/vw2 reach COMPLETED with pairwise_cipher=CCMP; iw dev vw1 link says
#   Connected to; vw0's station dump lists 2; pings STA→STA and STA→AP 0 %;
#   vmctl deny -s vw1 -d vw2 → 100 %, vw1→AP still 0 %; deny -c restores;
#   a capture of a reassociation + pings is exported (kmod-wpa2.host.sh:
#   tshark finds no unprotected data after the handshake and decrypts
#   with the passphrase); a station with a wrong passphrase (vw2 again)
#   never completes and gets no data through; rmmod: dmesg clean.
# vm-timeout: 300
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
PSK=vmedium-passphrase
ctl() { vmctl --socket "$SOCK" "$@"; }

[ -f /vm/modules/vmedium.ko ] || fail "no /vm/modules/vmedium.ko (build-bins.sh builds it with kmod/build-vm.sh)"
assert modprobe cfg80211
assert insmod /vm/modules/vmedium.ko radios=3
wait_for 10 test -e /sys/class/net/vw2
devs="$(iw dev)"
echo "$devs"
for i in 0 1 2; do assert_contains "$devs" "Interface vw$i" "iw dev"; done
list="$(iw list)"
echo "$list" | grep -A 2 'Supported Ciphers' | head -n 3
assert_contains "$list" "CCMP-128 (00-0f-ac:4)" "iw list ciphers"

ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns "vw_phy$i" ns$i
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev vw$i
	in_ns ns$i ip link set vw$i up
done

vmedium run --attach --socket "$SOCK" --state-dir "$STATE" --metrics-addr off \
	>"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
cat "$VM_WORK/vmedium.out"
assert_contains "$(cat "$VM_WORK/vmedium.out")" "attached to 3 vmedium.ko radios" "attach output"
for i in 0 1 2; do
	assert_contains "$(cat "$VM_WORK/vmedium.out")" "vw$i: kmod radio" "attach output"
done
assert_contains "$(ctl status)" "kmod: live, 3 radios" "vmctl status"

t0="$(cut -d' ' -f1 /proc/uptime)"
start_hostapd ns0 vw0 vmedium 6 "$PSK"
start_wpa ns1 vw1 vmedium "$PSK" 2437
start_wpa ns2 vw2 vmedium "$PSK" 2437
wait_wpa_completed 40 ns1 vw1
wait_wpa_completed 40 ns2 vw2
t_up="$(awk "BEGIN { printf \"%.1f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
log "both stations COMPLETED ${t_up}s after hostapd started"
vm_metric kmod_wpa2_completed "$t_up" s
for i in 1 2; do
	st="$(in_ns ns$i wpa_cli -p /run/wpa_supplicant -i vw$i status)"
	echo "$st"
	assert_contains "$st" "pairwise_cipher=CCMP" "vw$i wpa_cli status"
	assert_contains "$st" "key_mgmt=WPA2-PSK" "vw$i wpa_cli status"
done
AP_MAC="$(in_ns ns0 cat /sys/class/net/vw0/address)"
link1="$(in_ns ns1 iw dev vw1 link)"
echo "$link1"
assert_contains "$link1" "Connected to $AP_MAC" "iw dev vw1 link"
dump="$(in_ns ns0 iw dev vw0 station dump)"
echo "$dump"
assert_eq "$(echo "$dump" | grep -c '^Station ')" 2 "stations in vw0's station dump"

ping_ok ns1 10.0.0.3 5
ping_ok ns1 10.0.0.1 5
ping_ok ns2 10.0.0.1 5
ping_ok ns0 10.0.0.2 3

ctl deny -s vw1 -d vw2 || fail "vmctl deny -s vw1 -d vw2"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 loss with vw1 denied at vw2"
vm_metric kmod_wpa2_deny_loss "$loss" %
ping_ok ns1 10.0.0.1 5
ctl deny -c || fail "vmctl deny -c"
ping_ok ns1 10.0.0.3 5
log "deny/clear behave"
ctl radios

# capture: vw1 reassociates (4-way handshake on the air), then data
ctl capture -o "$VM_WORK/kmod-wpa2.pcap" -t 8s >"$VM_WORK/capture.txt" 2>&1 &
cap=$!
sleep 1
in_ns ns1 wpa_cli -p /run/wpa_supplicant -i vw1 reassociate
sleep 1
wait_wpa_completed 15 ns1 vw1
ping_ok ns1 10.0.0.1 3
ping_ok ns1 10.0.0.3 3
wait "$cap" || fail "capture failed: $(cat "$VM_WORK/capture.txt")"
cat "$VM_WORK/capture.txt"
assert_ge "$(wc -c <"$VM_WORK/kmod-wpa2.pcap")" 1000 "capture size"

# wrong passphrase on vw2: never COMPLETED, no data through
in_ns ns2 wpa_cli -p /run/wpa_supplicant -i vw2 terminate >/dev/null
sleep 1
rm -f "$VM_WORK/wpa-vw2.log"
start_wpa ns2 vw2 vmedium "wrong-passphrase" 2437
sleep 12
st="$(wpa_state ns2 vw2)"
log "vw2 with a wrong passphrase: wpa_state=$st"
[ "$st" != COMPLETED ] || fail "vw2 completed the handshake with a wrong passphrase"
loss="$(ping_loss ns2 10.0.0.1 5)"
assert_eq "$loss" 100 "ns2 -> AP loss with the wrong passphrase"
grep -i 'WRONG_KEY\|4-Way Handshake failed\|pre-shared key may be incorrect' "$VM_WORK/wpa-vw2.log" | head -n 3
ctl radios
vm_export_file "$VM_WORK/kmod-wpa2.pcap"

# teardown: daemons, medium, module
for p in "$VM_WORK"/wpa-*.pid "$VM_WORK"/hostapd-*.pid; do kill "$(cat "$p")" 2>/dev/null; done
kill -TERM "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
for ns in ns0 ns1 ns2; do ip netns del $ns; done
wait_for 10 test -e /sys/class/net/vw2
assert rmmod vmedium
[ ! -e /sys/class/net/vw0 ] || fail "vw0 left after rmmod"
check_dmesg
log "kmod-wpa2 passed"
