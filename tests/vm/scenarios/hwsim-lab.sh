#!/bin/sh
# SPDX-License-Identifier: MIT
# hwsim-lab: the hwsim lab through the product: `vmedium run
# --backend hwsim` builds the lab (radios created over netlink, moved into
# ns0..ns2, renamed vw0..vw2, hostapd WPA2-PSK in ns0, wpa_supplicant in
# ns1/ns2) and `vmctl` drives it; the scenario checks association, pings,
# link signal, deny rules and loss with truthful retries, and the hwsim
# backend's Prometheus counters. The lab is the default one except that
# vw0 serves DHCP and vw2 takes `address: dhcp`: vw2 gets its lease
# through its wpa_supplicant-associated interface (10.0.0.3, the first of
# the range, so the rest of the scenario addresses it as before).
# vm-timeout: 360
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
METRICS=127.0.0.1:9380
ctl() { vmctl --socket "$SOCK" "$@"; }
txsum() { ctl --json radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }'; }
metric() { wget -qO- "http://$METRICS/metrics" | awk -v n="$1" '$1 == n { print $2 }'; }

cat >"$VM_WORK/lab.yaml" <<'EOF'
passphrase: vmedium-lab
radios:
  - {name: vw0, role: ap,  netns: ns0, ssid: vmedium, channel: 6, address: 10.0.0.1/24,
     dhcp: {range: 10.0.0.3-10.0.0.9, lease: 10m}}
  - {name: vw1, role: sta, netns: ns1, ssid: vmedium, channel: 6, address: 10.0.0.2/24}
  - {name: vw2, role: sta, netns: ns2, ssid: vmedium, channel: 6, address: dhcp}
EOF
modprobe mac80211_hwsim radios=0 || fail "modprobe mac80211_hwsim radios=0"
vmedium run --backend hwsim --config "$VM_WORK/lab.yaml" --socket "$SOCK" --state-dir "$STATE" --metrics-addr "$METRICS" \
	>"$VM_WORK/vmedium.out" 2>"$VM_WORK/vmedium.log" &
VM_PID=$!
wait_for 90 grep -q '^vmedium is running' "$VM_WORK/vmedium.out"
cat "$VM_WORK/vmedium.out"
ctl status

# 1. both stations COMPLETED (WPA2-PSK, CCMP) through vmedium
wpa() { in_ns "$1" wpa_cli -p "$STATE/hwsim/wpa-$2" -i "$2" status; }
_completed() { wpa "$1" "$2" | grep -q '^wpa_state=COMPLETED'; }
wait_for 30 _completed ns1 vw1
wait_for 30 _completed ns2 vw2
assert_contains "$(wpa ns1 vw1)" "pairwise_cipher=CCMP" "vw1 status"
assert_contains "$(wpa ns2 vw2)" "key_mgmt=WPA2-PSK" "vw2 status"
log "both stations associated (WPA2-PSK, CCMP) through vmedium"

# 1b. vw2's address by DHCP through its wpa_supplicant-associated interface
lease="$(sed -n 's/.*vw2: \(10\.0\.0\.[0-9]*\/24\) by DHCP from 10\.0\.0\.1 .* after \(.*\)$/\1 \2/p' "$VM_WORK/vmedium.log")"
[ -n "$lease" ] || fail "no DHCP lease line for vw2 in vmedium's log"
assert_eq "${lease%% *}" 10.0.0.3/24 "vw2's DHCP address"
log "vw2: DHCP lease ${lease%% *} after ${lease#* } (from association)"
in_ns ns2 ip -4 addr show dev vw2
in_ns ns2 ip -4 addr show dev vw2 | grep -q 'valid_lft [0-9]*sec' || fail "vw2's address has not the lease's lifetime"
assert_contains "$(in_ns ns2 ip -4 addr show dev vw2)" "inet 10.0.0.3/24" "vw2's address"
assert_contains "$(in_ns ns2 ip route show default)" "default via 10.0.0.1 dev vw2" "vw2's default route from the lease"
leases="$(ctl leases)"
echo "$leases"
VW2_MAC="$(in_ns ns2 cat /sys/class/net/vw2/address)"
assert_contains "$(echo "$leases" | tr -s ' ')" "$VW2_MAC vw2 10.0.0.3 " "vmctl leases row of vw2"
assert_contains "$(echo "$leases" | tr -s ' ')" " bound vw0 vw2" "vmctl leases state of vw2"
assert_contains "$(ctl --json leases)" '"ip": "10.0.0.3"' "vmctl --json leases"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
assert_contains "$(ctl status)" "hwsim: live, 3 radios" "vmctl status"
tx0="$(txsum)"
assert_ge "$tx0" 10 "frames transmitted through vmedium"
vm_metric hwsim_lab_tx_frames_at_assoc "$tx0" frames
fin="$(metric vmedium_hwsim_frames_received_total)"
log "metrics: vmedium_hwsim_frames_received_total=$fin"
assert_ge "${fin%.*}" 10 "vmedium_hwsim_frames_received_total"
assert_eq "$(metric vmedium_hwsim_socket_overruns_total)" 0 "vmedium_hwsim_socket_overruns_total"

# 2. pings STA->STA (relayed by the AP), STA->AP, AP->STA
ping_ok ns1 10.0.0.3 5
ping_ok ns2 10.0.0.2 5
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 5
ping_ok ns0 10.0.0.3 5
tx1="$(txsum)"
[ "$tx1" -gt "$tx0" ] || fail "vmedium frame counters did not grow ($tx0 -> $tx1)"

# loss 0: only attempts actually used are reported, so no retries
retries="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
log "vw1 tx retries with loss 0: $retries"
assert_eq "$retries" 0 "vw1 tx retries with loss 0"
vm_metric vw1_tx_retries_loss0 "$retries" retries

# 3. link signal: vw0 -> vw1 at -67 dBm
ctl link -s vw0 -d vw1 --signal -67 || fail "vmctl link"
_sig() { in_ns ns1 iw dev vw1 link | grep -q 'signal: -67 dBm'; }
wait_for 20 _sig
in_ns ns1 iw dev vw1 link
ctl link -s vw1 -d vw0 --signal -71 || fail "vmctl link reverse"
ping_ok ns1 10.0.0.1 5
in_ns ns0 iw dev vw0 station dump | grep -E 'Station|signal'
_apsig() { in_ns ns0 iw dev vw0 station dump | grep -A20 "$(in_ns ns1 cat /sys/class/net/vw1/address)" | grep -q 'signal:[[:space:]]*-71'; }
wait_for 10 _apsig
ctl links
log "signals: vw0->vw1 -67 dBm at vw1, vw1->vw0 -71 dBm at the AP"

# vmctl radios: roles and states from hostapd / wpa_supplicant
AP_MAC="$(in_ns ns0 cat /sys/class/net/vw0/address)"
radios="$(ctl radios)"
echo "$radios"
row() { echo "$radios" | tr -s ' ' | awk -v n="$1" '$1 == n'; }
assert_contains "$(row vw0)" " 2437 MHz ap enabled vmedium $AP_MAC " "vmctl radios vw0 row"
assert_contains "$(row vw1)" " 2437 MHz sta associated vmedium $AP_MAC -67 dBm " "vmctl radios vw1 row"
assert_contains "$(row vw2)" " 2437 MHz sta associated vmedium $AP_MAC " "vmctl radios vw2 row"
assert_contains "$(row vw2)" " 10.0.0.3/24 dhcp " "vmctl radios vw2 address source"
assert_contains "$(row vw1)" " 10.0.0.2/24 static " "vmctl radios vw1 address source"
nsta="$(ctl --json radios | awk '/"name": "/ { cur = $2 } cur ~ /"vw0"/ && /"stations": \[/ { in_st = 1; next } in_st && /\]/ { in_st = 0 } in_st && /:/ { n++ } END { print n + 0 }')"
assert_eq "$nsta" 2 "stations of vw0 in vmctl --json radios"
log "vmctl radios: vw0 ap with 2 stations, vw1/vw2 associated to $AP_MAC"

# 4. deny vw1 -> vw2: relayed frames with SA = vw1 are not heard by vw2
ctl deny -s vw1 -d vw2 || fail "vmctl deny"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 loss with vw1 denied at vw2"
vm_metric deny_loss_ns1_to_vw2 "$loss" %
ping_ok ns1 10.0.0.1 5
ctl deny -c || fail "vmctl deny -c"
ping_ok ns1 10.0.0.3 5
log "deny/clear behave"

# 5. loss 0.3 on vw1 -> vw0: MAC retries, pings get through, nothing unanswered
before="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
ctl link -s vw1 -d vw0 --loss 0.3 || fail "vmctl link loss"
ping_ok ns1 10.0.0.1 20
bw="$(iperf_tcp ns0 10.0.0.1 ns1 10)" || fail "iperf3: $bw"
log "iperf3 TCP ns1 -> ns0 with loss 0.3: $bw Mbit/s"
vm_metric iperf_tcp_loss03 "$bw" Mbit/s
after="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
failed="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx failed:[[:space:]]*//p')"
in_ns ns1 iw dev vw1 station dump | grep -E 'tx retries|tx failed'
[ "$after" -gt "$before" ] || fail "tx retries did not rise under loss 0.3 ($before -> $after)"
vm_metric vw1_tx_retries_loss03 "$((after - before))" retries
vm_metric vw1_tx_failed_loss03 "$failed" frames
for ns in ns0 ns1 ns2; do
	ifc=vw${ns#ns}
	dropped="$(in_ns $ns ethtool -S $ifc | sed -n 's/.*d_tx_dropped:[[:space:]]*//p')"
	log "$ifc d_tx_dropped=$dropped"
	assert_eq "$dropped" 0 "$ifc d_tx_dropped"
done
# /proc/net/netlink: columns sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
portid="$(sed -n 's/.*registered as the medium.* port_id=\([0-9]*\).*/\1/p' "$VM_WORK/vmedium.log")"
ndrops="$(awk -v pid="$portid" 'NR > 1 && $2 == 16 && $3 == pid { print $9 }' /proc/net/netlink)"
log "vmedium generic netlink socket (port id $portid) drops: $ndrops"
[ -n "$ndrops" ] || fail "vmedium's socket (port id $portid) not in /proc/net/netlink"
assert_eq "$ndrops" 0 "netlink drops on vmedium's socket"
vm_metric netlink_drops_loss03 "$ndrops"
assert_eq "$(metric vmedium_hwsim_socket_overruns_total)" 0 "vmedium_hwsim_socket_overruns_total after iperf3"
ctl link -s vw1 -d vw0 --loss 0 || fail "vmctl link loss 0"
ctl radios

kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
cat "$VM_WORK/vmedium.log"
[ ! -e /run/netns/ns1 ] || fail "namespace ns1 left after vmedium stopped"
dmesg | tail -n 5
check_dmesg
log "hwsim-lab passed"
