#!/bin/sh
# SPDX-License-Identifier: MIT
# mixed-hwsim-tap: mixed radios on one medium,
# through the product. One `vmedium run --backend hwsim --config` lab (a
# per-radio `kind:` makes two radios userspace TAP radios) with two open
# networks on one medium:
#   tapnet (channel 1):  the Go `ap` on TAP radio vw0 (ns0) serves kernel
#                        hwsim station vw1 (ns1) running wpa_supplicant
#                        (key_mgmt=NONE)
#   hwnet (channel 11):  hostapd (open) on kernel hwsim radio vw2 (ns2)
#                        serves the Go `sta` on TAP radio vw3 (ns3)
# Both pairs associate and ping each other both ways.
# vm-timeout: 300
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
ctl() { vmctl --socket "$SOCK" "$@"; }

modprobe mac80211_hwsim radios=0 || fail "modprobe mac80211_hwsim radios=0"
modprobe tun || fail "modprobe tun"
cat >"$VM_WORK/mixed.yaml" <<'YAML'
# no passphrase: open networks (the userspace MACs run open networks)
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

# kernel hwsim station (wpa_supplicant, open) on the userspace AP
wpa() { in_ns ns1 wpa_cli -p "$STATE/hwsim/wpa-vw1" -i vw1 status; }
_completed() { wpa | grep -q '^wpa_state=COMPLETED'; }
wait_for 40 _completed
wpa
assert_contains "$(wpa)" "key_mgmt=NONE" "vw1 (hwsim) status"
assert_contains "$(wpa)" "bssid=02:00:00:00:a0:00" "vw1 (hwsim) associated with the TAP AP"
ping_ok ns1 10.0.1.1 5
ping_ok ns0 10.0.1.2 5
log "hwsim station vw1 (wpa_supplicant) associated with the userspace AP vw0 and pings"

# userspace station on the kernel hwsim AP (hostapd, open)
_sta_assoc() { ctl --json radios | awk '/"name": "vw3"/ { on = 1 } on && /"state"/ { print; exit }' | grep -q '"associated"'; }
wait_for 40 _sta_assoc
vw2mac="$(in_ns ns2 cat /sys/class/net/vw2/address)"
stas="$(in_ns ns2 hostapd_cli -p "$STATE/hwsim/hostapd" -i vw2 all_sta)"
echo "$stas"
assert_contains "$stas" "02:00:00:00:a3:00" "hostapd's stations on vw2"
assert_contains "$(ctl --json radios | awk '/"name": "vw3"/ { on = 1 } on && /"bssid"/ { print; exit }')" "$vw2mac" "vw3's BSSID"
ping_ok ns3 10.0.2.1 5
ping_ok ns2 10.0.2.2 5
log "userspace station vw3 associated with hostapd on hwsim radio vw2 and pings"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
ctl radios

kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
for ns in ns0 ns1 ns2 ns3; do
	[ ! -e /run/netns/$ns ] || fail "namespace $ns left after vmedium stopped"
done
check_dmesg
log "mixed-hwsim-tap passed"
