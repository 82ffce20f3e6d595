#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vmnic: a QEMU guest with only a virtio-net NIC (no Wi-Fi module loaded,
# none used) on a `kind: vmnic` radio of the host's tap lab (multi-guest
# scenario, run by multi.sh on the host; helpers in multi-lib.sh). The host
# runs the WPA2 tap lab (AP vw0, station vw1 in namespaces) with vw3 a
# vmnic radio listening on a unix socket; QEMU connects the guest's NIC to
# it with -netdev stream. The guest pings the AP and the tap station with
# 0 % loss, the tap station pings it; `vmctl deny` cuts it (100 % loss) and
# `vmctl deny -c` brings it back; the host's capture holds the guest's
# traffic as protected 802.11 data frames of vw3's address.
# vm-timeout: 300
set -uo pipefail

H="$VM_TMP/host"
mkdir -p "$H"
ctl() { "$VM_BIN/vmctl" --socket "$H/ctl.sock" "$@"; }
NIC_MAC=02:00:00:00:03:00
NS=vmnic # namespaces vmnic0, vmnic1: not the default lab's ns0..ns2

[ "$(id -u)" = 0 ] || { echo "SKIP: the host's tap lab needs root (namespaces, TAP)"; exit 77; }
cat >"$H/lab.yaml" <<EOF
passphrase: vmedium-lab
radios:
  - {name: vw0, role: ap,  netns: ${NS}0, ssid: vmedium, channel: 6, address: 10.0.0.1/24}
  - {name: vw1, role: sta, netns: ${NS}1, ssid: vmedium, channel: 6, address: 10.0.0.2/24}
  - {name: vw3, kind: vmnic, role: sta, ssid: vmedium, channel: 6, mac: "$NIC_MAC", listen: "unix:$H/vm1.sock"}
EOF
"$VM_BIN/vmedium" run --backend tap --config "$H/lab.yaml" --socket "$H/ctl.sock" --state-dir "$H/state" \
	--metrics-addr off >"$VM_OUT/host.out" 2>"$VM_OUT/host.log" &
HOST_PID=$!
mwait 60 grep -q '^vmedium is running' "$VM_OUT/host.out"
cat "$VM_OUT/host.out" >&2
ctl radios | tee "$VM_OUT/radios-before.txt" >&2
grep -q '^vw3 .*vmnic' "$VM_OUT/radios-before.txt" || mfail "vmctl radios does not list vw3 as vmnic"

mapfile -t nic < <(vm_stream_nic_args "$H/vm1.sock" "$NIC_MAC")
vm_start vm1 "${nic[@]}"
vm_ready vm1
# vmctl itself in the background (not through ctl: $! must be its PID)
"$VM_BIN/vmctl" --socket "$H/ctl.sock" capture -o "$VM_OUT/air.pcap" -t 300s >"$VM_OUT/capture.out" 2>&1 &
CAP=$!
sleep 1
vmx vm1 '
lsmod | grep -E "^(cfg80211|mac80211)" && fail "a Wi-Fi module is loaded in the vmnic guest"
dev=$(ls /sys/class/net | grep -v "^lo$" | head -n1)
[ "$(cat /sys/class/net/$dev/address)" = '"$NIC_MAC"' ] || fail "NIC $dev has $(cat /sys/class/net/$dev/address)"
ip addr add 10.0.0.4/24 dev $dev && ip link set $dev up || fail "address"
echo $dev >/vm/work/dev
wait_for 20 ping -c 1 -W 1 10.0.0.1
' || mfail "guest NIC setup / first ping"
ping_from_guest() { # ADDR COUNT → received
	vmx vm1 "ping -q -n -c $2 -i 0.2 -W 1 $1" | awk '/packets transmitted/ { print $4 }'
}
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 10 ] || mfail "guest → AP: $got/10"
got="$(ping_from_guest 10.0.0.2 10)"
[ "$got" = 10 ] || mfail "guest → tap station vw1: $got/10"
ip netns exec ${NS}1 ping -q -n -c 5 -i 0.2 -W 1 10.0.0.4 >&2 || mfail "tap station vw1 → guest"
mlog "guest ↔ AP and tap station: 0 % loss"
kill -TERM "$CAP" && wait "$CAP" # vmctl capture closes the file on SIGTERM
cat "$VM_OUT/capture.out" >&2

ctl deny -s vw0 -d vw3 || mfail "vmctl deny"
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 0 ] || mfail "denied: guest → AP $got/10, want 0"
mlog "vmctl deny -s vw0 -d vw3: 100 % loss"
ctl deny -c || mfail "vmctl deny -c"
vmx vm1 'wait_for 20 ping -c 1 -W 1 10.0.0.1' || mfail "no ping back after deny -c"
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 10 ] || mfail "after deny -c: guest → AP $got/10"
mlog "vmctl deny -c: restored"

ctl --json radios >"$VM_OUT/radios.json"
grep -q '"vmnic_connected": 1' "$VM_OUT/radios.json" || mfail "vw3 not shown connected: $(cat "$VM_OUT/radios.json")"

# The capture: the guest's frames on the air are vw3's protected data frames.
if command -v tshark >/dev/null; then
	n="$(tshark -r "$VM_OUT/air.pcap" -Y "wlan.ta == $NIC_MAC && wlan.fc.type == 2 && wlan.fc.protected == 1" 2>/dev/null | wc -l)"
	open="$(tshark -r "$VM_OUT/air.pcap" -Y "wlan.ta == $NIC_MAC && wlan.fc.type_subtype == 0x20 && wlan.fc.protected == 0" 2>/dev/null | wc -l)"
	mlog "capture: $n protected data frames from vw3, $open unprotected data frames"
	[ "$n" -gt 10 ] || mfail "capture holds $n protected data frames from vw3"
	[ "$open" = 0 ] || mfail "capture holds $open unprotected data frames from vw3"
else
	mlog "no tshark on the host: capture not decoded"
fi

vm_stop vm1
kill "$HOST_PID" && wait "$HOST_PID"
for ns in ${NS}0 ${NS}1; do
	[ ! -e "/run/netns/$ns" ] || mfail "namespace $ns left after stop"
done
[ ! -e "$H/vm1.sock" ] || mfail "vmnic socket left after stop"
mlog "PASS"
