#!/bin/sh
# hwsim-lab: issue 4 acceptance items 1-5 with vmedium as the medium of
# kernel mac80211_hwsim radios. The lab (radios created over netlink, moved
# into ns0..ns2, renamed vw0..vw2, hostapd WPA2-PSK in ns0, wpa_supplicant in
# ns1/ns2) is built by the backend; the scenario checks association, pings,
# link signal, deny rules and loss with truthful retries.
#
# The driver is `vmedium run --backend hwsim` when cmd/vmedium exists in the
# guest, else the backend's test driver hwsimd (medium/hwsim/cmd/hwsimd,
# put it in VMEDIUM_VM_BINDIR).
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
command -v hwsimd >/dev/null || skip "hwsimd not in the guest (build medium/hwsim/cmd/hwsimd into VMEDIUM_VM_BINDIR)"
ctl() { hwsimd ctl -sock "$SOCK" "$@"; }

modprobe mac80211_hwsim radios=0 || fail "modprobe mac80211_hwsim radios=0"
# The namespaces are made here: netnsutil's all-families netlink handle
# fails in the guest (no xfrm_user module), see the hwsim report.
ns_add ns0 ns1 ns2
hwsimd lab -reuse-netns -sock "$SOCK" -state "$STATE" >"$VM_WORK/hwsimd.log" 2>&1 &
VM_PID=$!
wait_for 60 grep -q '^READY' "$VM_WORK/hwsimd.log"
cat "$VM_WORK/hwsimd.log"
wait_for 20 test -S "$SOCK"

# 1. both stations COMPLETED (WPA2-PSK, CCMP) through vmedium
wpa() { in_ns "$1" wpa_cli -p "$STATE/hwsim/wpa-$2" -i "$2" status; }
_completed() { wpa "$1" "$2" | grep -q '^wpa_state=COMPLETED'; }
wait_for 30 _completed ns1 vw1
wait_for 30 _completed ns2 vw2
assert_contains "$(wpa ns1 vw1)" "pairwise_cipher=CCMP" "vw1 status"
assert_contains "$(wpa ns2 vw2)" "key_mgmt=WPA2-PSK" "vw2 status"
log "both stations associated (WPA2-PSK, CCMP) through vmedium"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
tx0="$(ctl radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }')"
assert_ge "$tx0" 10 "frames transmitted through vmedium"
vm_metric hwsim_lab_tx_frames_at_assoc "$tx0" frames

# 2. pings STA->STA (relayed by the AP), STA->AP, AP->STA
ping_ok ns1 10.0.0.3 5
ping_ok ns2 10.0.0.2 5
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 5
ping_ok ns0 10.0.0.3 5
tx1="$(ctl radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }')"
[ "$tx1" -gt "$tx0" ] || fail "vmedium frame counters did not grow ($tx0 -> $tx1)"

# loss 0: only attempts actually used are reported, so no retries
retries="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
log "vw1 tx retries with loss 0: $retries"
assert_eq "$retries" 0 "vw1 tx retries with loss 0"

# 3. link signal: vw0 -> vw1 at -67 dBm
ctl link vw0 vw1 -67 - >/dev/null || fail "ctl link"
_sig() { in_ns ns1 iw dev vw1 link | grep -q 'signal: -67 dBm'; }
wait_for 20 _sig
in_ns ns1 iw dev vw1 link
ctl link vw1 vw0 -71 - >/dev/null || fail "ctl link reverse"
ping_ok ns1 10.0.0.1 5
in_ns ns0 iw dev vw0 station dump | grep -E 'Station|signal'
_apsig() { in_ns ns0 iw dev vw0 station dump | grep -A20 "$(in_ns ns1 cat /sys/class/net/vw1/address)" | grep -q 'signal:[[:space:]]*-71'; }
wait_for 10 _apsig
log "signals: vw0->vw1 -67 dBm at vw1, vw1->vw0 -71 dBm at the AP"

# 4. deny vw1 -> vw2: relayed frames with SA = vw1 are not heard by vw2
ctl deny vw1 vw2 >/dev/null || fail "ctl deny"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 loss with vw1 denied at vw2"
ping_ok ns1 10.0.0.1 5
ctl clear >/dev/null || fail "ctl clear"
ping_ok ns1 10.0.0.3 5
log "deny/clear behave"

# 5. loss 0.3 on vw1 -> vw0: MAC retries, pings get through, nothing unanswered
before="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
ctl link vw1 vw0 - 0.3 >/dev/null || fail "ctl link loss"
ping_ok ns1 10.0.0.1 20
bw="$(iperf_tcp ns0 10.0.0.1 ns1 10)" || fail "iperf3: $bw"
log "iperf3 TCP ns1 -> ns0 with loss 0.3: $bw Mbit/s"
vm_metric iperf_tcp_loss03 "$bw" Mbit/s
after="$(in_ns ns1 iw dev vw1 station dump | sed -n 's/.*tx retries:[[:space:]]*//p')"
in_ns ns1 iw dev vw1 station dump | grep -E 'tx retries|tx failed'
[ "$after" -gt "$before" ] || fail "tx retries did not rise under loss 0.3 ($before -> $after)"
vm_metric vw1_tx_retries_loss03 "$((after - before))" retries
for ns in ns0 ns1 ns2; do
	ifc=vw${ns#ns}
	dropped="$(in_ns $ns ethtool -S $ifc | sed -n 's/.*d_tx_dropped:[[:space:]]*//p')"
	log "$ifc d_tx_dropped=$dropped"
	assert_eq "$dropped" 0 "$ifc d_tx_dropped"
done
# /proc/net/netlink: columns sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
portid="$(sed -n 's/.*registered as the medium.* port_id=\([0-9]*\).*/\1/p' "$VM_WORK/hwsimd.log")"
ndrops="$(awk -v pid="$portid" 'NR > 1 && $2 == 16 && $3 == pid { print $9 }' /proc/net/netlink)"
log "vmedium generic netlink socket (port id $portid) drops: $ndrops"
[ -n "$ndrops" ] || fail "vmedium's socket (port id $portid) not in /proc/net/netlink"
assert_eq "$ndrops" 0 "netlink drops on vmedium's socket"
ctl link vw1 vw0 - 0 >/dev/null
ctl radios >"$VM_WORK/radios.json"

kill "$VM_PID"
wait "$VM_PID"
dmesg | tail -n 5
check_dmesg
log "hwsim-lab passed"
