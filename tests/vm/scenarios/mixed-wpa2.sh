#!/bin/sh
# SPDX-License-Identifier: MIT
# mixed-wpa2: the Go AP and STA speak WPA2-PSK with the real daemons.
# One `vmedium run --backend hwsim --config` lab with a passphrase (a
# per-radio `kind:` makes two radios userspace TAP radios), two WPA2-PSK
# (CCMP) networks on one medium:
#   tapnet (channel 1):  the Go `ap` on TAP radio vw0 (ns0) is the
#                        authenticator for kernel hwsim station vw1 (ns1)
#                        running wpa_supplicant (WPA-PSK, CCMP)
#   hwnet (channel 11):  hostapd (wpa=2) on kernel hwsim radio vw2 (ns2)
#                        authenticates the Go `sta` on TAP radio vw3 (ns3)
# Both handshakes complete (wpa_supplicant COMPLETED with CCMP, hostapd
# lists the Go station AUTHORIZED) and both pairs ping each other both
# ways: the Go CCMP encrypts and decrypts what mac80211 decrypts and
# encrypts. Then each side's group key handshake: the Go AP rekeys every
# 4 s (wpa_supplicant answers), hostapd is told to rekey (the Go STA
# answers), and an ARP broadcast under the new group key still gets a
# reply.
# vm-timeout: 300
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
ctl() { vmctl --socket "$SOCK" "$@"; }

modprobe mac80211_hwsim radios=0 || fail "modprobe mac80211_hwsim radios=0"
modprobe tun || fail "modprobe tun"
cat >"$VM_WORK/mixed.yaml" <<'YAML'
passphrase: mixed-wpa2-lab
group_rekey: 4s
radios:
  - {name: vw0, kind: tap, role: ap,  netns: ns0, ssid: tapnet, channel: 1,  address: 10.0.1.1/24, mac: "02:00:00:00:a0:00"}
  - {name: vw1,            role: sta, netns: ns1, ssid: tapnet, channel: 1,  address: 10.0.1.2/24}
  - {name: vw2,            role: ap,  netns: ns2, ssid: hwnet,  channel: 11, address: 10.0.2.1/24}
  - {name: vw3, kind: tap, role: sta, netns: ns3, ssid: hwnet,  channel: 11, address: 10.0.2.2/24, mac: "02:00:00:00:a3:00"}
YAML
vmedium run --backend hwsim --config "$VM_WORK/mixed.yaml" --socket "$SOCK" --state-dir "$STATE" \
	--metrics-addr off >"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 90 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
cat "$VM_WORK/vmedium.out"
ctl radios
radios="$(ctl radios)"
for r in "vw0 *tap" "vw1 *hwsim" "vw2 *hwsim" "vw3 *tap"; do
	echo "$radios" | grep -q "^$r " || fail "vmctl radios: no line '$r': $radios"
done
st="$(ctl status)"
assert_contains "$st" "tap: live, 2 radios" "vmctl status"
assert_contains "$st" "hwsim: live, 2 radios" "vmctl status"

# kernel hwsim station (wpa_supplicant, WPA2-PSK) on the userspace AP
wpa() { in_ns ns1 wpa_cli -p "$STATE/hwsim/wpa-vw1" -i vw1 status; }
_completed() { wpa | grep -q '^wpa_state=COMPLETED'; }
wait_for 40 _completed
wpa
assert_contains "$(wpa)" "key_mgmt=WPA2-PSK" "vw1 (hwsim) status"
assert_contains "$(wpa)" "pairwise_cipher=CCMP" "vw1 (hwsim) status"
assert_contains "$(wpa)" "group_cipher=CCMP" "vw1 (hwsim) status"
assert_contains "$(wpa)" "bssid=02:00:00:00:a0:00" "vw1 (hwsim) associated with the TAP AP"
ping_ok ns1 10.0.1.1 5
ping_ok ns0 10.0.1.2 5
log "hwsim station vw1 (wpa_supplicant) completed WPA2 with the userspace AP vw0 and pings"

# userspace station on the kernel hwsim AP (hostapd, WPA2-PSK)
_sta_assoc() { ctl --json radios | awk '/"name": "vw3"/ { on = 1 } on && /"state"/ { print; exit }' | grep -q '"associated"'; }
wait_for 40 _sta_assoc
vw2mac="$(in_ns ns2 cat /sys/class/net/vw2/address)"
stas="$(in_ns ns2 hostapd_cli -p "$STATE/hwsim/hostapd" -i vw2 all_sta)"
echo "$stas"
assert_contains "$stas" "02:00:00:00:a3:00" "hostapd's stations on vw2"
assert_contains "$stas" "AUTHORIZED" "hostapd's view of the Go station"
_cipher() { ctl --json radios | awk '/"name": "vw3"/ { on = 1 } on && /"cipher"/ { print; exit }' | grep -q '"CCMP"'; }
wait_for 10 _cipher
assert_contains "$(ctl --json radios | awk '/"name": "vw3"/ { on = 1 } on && /"bssid"/ { print; exit }')" "$vw2mac" "vw3's BSSID"
ping_ok ns3 10.0.2.1 5
ping_ok ns2 10.0.2.2 5
log "userspace station vw3 completed WPA2 with hostapd on hwsim radio vw2 and pings"

# Group key handshakes both ways.
# counter RADIO NAME: one of a radio's MAC counters from vmctl radios --json.
counter() {
	ctl --json radios | awk -v n="\"name\": \"$1\"" -v c="\"$2\"" \
		'index($0, n) { on = 1 } on && index($0, c) { gsub(/[^0-9]/, ""); print; exit }'
}
_rekeyed_ap() { [ "$(counter vw0 group_rekeys)" -ge 2 ] 2>/dev/null; }
wait_for 30 _rekeyed_ap
[ "$(counter vw0 handshake_timeouts)" = 0 ] || fail "the Go AP timed out a handshake with wpa_supplicant"
in_ns ns0 ip neigh flush dev vw0
ping_ok ns0 10.0.1.2 3
log "the Go AP rekeyed $(counter vw0 group_rekeys) times; wpa_supplicant answered; broadcast ARP under the new key answered"
out="$(in_ns ns2 hostapd_cli -p "$STATE/hwsim/hostapd" -i vw2 rekey_gtk)"
case "$out" in *OK*) ;; *) out="$(in_ns ns2 hostapd_cli -p "$STATE/hwsim/hostapd" -i vw2 raw REKEY_GTK)" ;; esac
assert_contains "$out" "OK" "hostapd_cli rekey_gtk"
_rekeyed_sta() { [ "$(counter vw3 group_rekeys)" -ge 1 ] 2>/dev/null; }
wait_for 20 _rekeyed_sta
in_ns ns2 ip neigh flush dev vw2
ping_ok ns2 10.0.2.2 3
log "hostapd rekeyed; the Go station installed the new group key and answers broadcast ARP"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
ctl radios

kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
for ns in ns0 ns1 ns2 ns3; do
	[ ! -e /run/netns/$ns ] || fail "namespace $ns left after vmedium stopped"
done
check_dmesg
log "mixed-wpa2 passed"
