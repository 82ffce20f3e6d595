#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vmnic: a QEMU guest with only a virtio-net NIC (no Wi-Fi module loaded,
# none used) on a `kind: vmnic` radio of the host's tap lab (multi-guest
# scenario, run by multi.sh on the host; helpers in multi-lib.sh): the
# whole "laptop whose only uplink is Wi-Fi" with a VM on it. The host runs
# the WPA2 tap lab (AP vw0 with a NAT uplink to a "wan" namespace and a
# DHCP server, station vw1) with vw3 a vmnic radio listening on a unix
# socket; QEMU connects the guest's NIC to it with -netdev stream.
#   The guest gets its address by DHCP (busybox udhcpc) and `vmctl leases`
#   lists it for vw3; it pings the AP and the tap station with 0 % loss,
#   the tap station pings it; it reaches an iperf3 server in the wan
#   namespace, which sees the AP's uplink address, not 10.0.0.x;
#   `vmctl deny` cuts it (100 % loss), `vmctl deny -c` brings it back; the
#   host's capture holds its traffic as protected 802.11 data frames of
#   vw3's address; after stop nothing of the lab is left.
# A second guest, vm2, joins the same medium the other way in: its
# mac80211_hwsim radio through `vmedium agent` on a virtio-serial port
# (the host serves --guests next to the lab); wpa_supplicant on it joins
# the host's Go AP on its TAP radio with WPA2, and pings the AP and the
# vmnic guest: a host tap radio and a guest hwsim radio talk.
# vm-timeout: 300
set -uo pipefail

H="$VM_TMP/host"
mkdir -p "$H"
ctl() { "$VM_BIN/vmctl" --socket "$H/ctl.sock" "$@"; }
NIC_MAC=02:00:00:00:03:00
NS=vmnic # namespaces vmnic0, vmnic1, vmnicwan: not the default lab's ns0..ns2
WAN=${NS}wan

[ "$(id -u)" = 0 ] || { echo "SKIP: the host's tap lab needs root (namespaces, TAP)"; exit 77; }
ip netns add "$WAN" || mfail "create the wan namespace"
trap 'ip netns delete "$WAN" 2>/dev/null; _vm_cleanup' EXIT
ip -n "$WAN" link set lo up
ip netns exec "$WAN" iperf3 -s -1 >"$VM_OUT/wan-iperf3.log" 2>&1 &
cat >"$H/lab.yaml" <<EOF
passphrase: vmedium-lab
radios:
  - {name: vw0, role: ap,  netns: ${NS}0, ssid: vmedium, channel: 6, address: 10.0.0.1/24,
     uplink: {mode: nat, netns: $WAN}, dhcp: {range: 10.0.0.100-10.0.0.199, lease: 1h}}
  - {name: vw1, role: sta, netns: ${NS}1, ssid: vmedium, channel: 6, address: 10.0.0.2/24}
  - {name: vw3, kind: vmnic, role: sta, ssid: vmedium, channel: 6, mac: "$NIC_MAC", listen: "unix:$H/vm1.sock"}
EOF
"$VM_BIN/vmedium" run --backend tap --config "$H/lab.yaml" --guests "unix:$H/guests.sock" --socket "$H/ctl.sock" --state-dir "$H/state" \
	--metrics-addr off >"$VM_OUT/host.out" 2>"$VM_OUT/host.log" &
HOST_PID=$!
mwait 60 grep -q '^vmedium is running' "$VM_OUT/host.out"
cat "$VM_OUT/host.out" >&2
ctl radios | tee "$VM_OUT/radios-before.txt" >&2
grep -q '^vw3 .*vmnic' "$VM_OUT/radios-before.txt" || mfail "vmctl radios does not list vw3 as vmnic"

mapfile -t nic < <(vm_stream_nic_args "$H/vm1.sock" "$NIC_MAC")
vm_start vm1 "${nic[@]}"
mapfile -t port < <(vm_port_args vmedium "$H/guests.sock")
vm_start vm2 "${port[@]}"
vm_ready vm1 vm2
# vmctl itself in the background (not through ctl: $! must be its PID)
"$VM_BIN/vmctl" --socket "$H/ctl.sock" capture -o "$VM_OUT/air.pcap" -t 300s >"$VM_OUT/capture.out" 2>&1 &
CAP=$!
sleep 1
vmx vm1 '
lsmod | grep -E "^(cfg80211|mac80211)" && fail "a Wi-Fi module is loaded in the vmnic guest"
dev=$(ls /sys/class/net | grep -v "^lo$" | head -n1)
[ "$(cat /sys/class/net/$dev/address)" = '"$NIC_MAC"' ] || fail "NIC $dev has $(cat /sys/class/net/$dev/address)"
cat >/vm/work/udhcpc.sh <<"EOS"
#!/bin/sh
case "$1" in
deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/$subnet" dev "$interface"
	ip route replace default via "$router" dev "$interface"
	echo "$ip" >/vm/work/ip ;;
esac
EOS
chmod +x /vm/work/udhcpc.sh
ip link set $dev up
udhcpc -i $dev -n -q -t 10 -T 2 -s /vm/work/udhcpc.sh || fail "no DHCP lease"
ip -4 addr show dev $dev; ip route
wait_for 20 ping -c 1 -W 1 10.0.0.1
' || mfail "guest NIC setup by DHCP / first ping"
VM_IP="$(vmx vm1 'cat /vm/work/ip' | tr -d '\r\n')"
mlog "the guest's address by DHCP: $VM_IP"
case "$VM_IP" in 10.0.0.1[0-9][0-9]) ;; *) mfail "guest address $VM_IP is not from the DHCP range" ;; esac
ctl leases | tee "$VM_OUT/leases.txt" >&2
grep -q "$NIC_MAC.*vw3.*$VM_IP" "$VM_OUT/leases.txt" || mfail "vmctl leases does not list vw3's lease $VM_IP"
ping_from_guest() { # ADDR COUNT → received
	vmx vm1 "ping -q -n -c $2 -i 0.2 -W 1 $1" | awk '/packets transmitted/ { print $4 }'
}
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 10 ] || mfail "guest → AP: $got/10"
got="$(ping_from_guest 10.0.0.2 10)"
[ "$got" = 10 ] || mfail "guest → tap station vw1: $got/10"
ip netns exec ${NS}1 ping -q -n -c 5 -i 0.2 -W 1 "$VM_IP" >&2 || mfail "tap station vw1 → guest"
mlog "guest ↔ AP and tap station: 0 % loss"
kill -TERM "$CAP" && wait "$CAP" # vmctl capture closes the file on SIGTERM
cat "$VM_OUT/capture.out" >&2
# Through the AP's NAT to the wan namespace: the server sees the uplink address.
WAN_ADDR="$(ip -n "$WAN" -o -4 addr show | awk '$2 != "lo" { sub(/\/.*/, "", $4); print $4; exit }')"
[ -n "$WAN_ADDR" ] || mfail "no uplink address in the wan namespace"
vmx vm1 "iperf3 -c $WAN_ADDR -t 3 -f m" >"$VM_OUT/guest-iperf3.txt" || mfail "guest → wan iperf3: $(cat "$VM_OUT/guest-iperf3.txt")"
from="$(sed -n 's/.*Accepted connection from \([0-9.]*\),.*/\1/p' "$VM_OUT/wan-iperf3.log" | head -n1)"
rate="$(awk '/receiver/ { print $(NF-2) }' "$VM_OUT/guest-iperf3.txt" | tail -n1)"
mlog "guest → wan server: $rate Mbit/s, the server saw $from"
echo "vmnic_guest_to_wan_mbps=$rate Mbit/s" >>"$VM_OUT/metrics"
case "$from" in "" | 10.0.0.*) mfail "the wan server saw '$from', want the AP's uplink address" ;; esac

ctl deny -s vw0 -d vw3 || mfail "vmctl deny"
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 0 ] || mfail "denied: guest → AP $got/10, want 0"
mlog "vmctl deny -s vw0 -d vw3: 100 % loss"
ctl deny -c || mfail "vmctl deny -c"
vmx vm1 'wait_for 20 ping -c 1 -W 1 10.0.0.1' || mfail "no ping back after deny -c"
got="$(ping_from_guest 10.0.0.1 10)"
[ "$got" = 10 ] || mfail "after deny -c: guest → AP $got/10"
mlog "vmctl deny -c: restored"

# The other way in: a guest hwsim radio joins the host tap AP.
vmx vm2 '
modprobe mac80211_hwsim radios=0 || fail modprobe
vmedium agent --connect virtio:vmedium --name vm2 --radios 1 >/vm/work/agent.out 2>/vm/work/agent.log &
wait_for 20 test -e /sys/class/net/wlan0
ns_add ns1
phy_to_ns $(phy_of wlan0) ns1
in_ns ns1 ip addr add 10.0.0.5/24 dev wlan0
start_wpa ns1 wlan0 vmedium vmedium-lab 2437
wait_wpa_completed 60 ns1 wlan0
in_ns ns1 wpa_cli -i wlan0 status | grep -E "^(pairwise_cipher|key_mgmt)="
ping_ok ns1 10.0.0.1 10
ping_ok ns1 '"$VM_IP"' 5
' || mfail "guest hwsim radio (vm2) on the host tap AP"
ctl radios | tee "$VM_OUT/radios-after.txt" >&2
grep -q '^vm2/wlan0 .*guest' "$VM_OUT/radios-after.txt" || mfail "vmctl radios does not list vm2/wlan0 as a guest radio"
ip netns exec ${NS}1 ping -q -n -c 5 -i 0.2 -W 1 10.0.0.5 >&2 || mfail "tap station vw1 → guest hwsim radio"
mlog "host tap radios and the guest hwsim radio vm2/wlan0 talk (WPA2), ping 0 % loss both ways"

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
vmx vm2 'check_dmesg' || mfail "kernel warnings in vm2"
vm_stop vm2
kill "$HOST_PID" && wait "$HOST_PID"
for ns in ${NS}0 ${NS}1; do
	[ ! -e "/run/netns/$ns" ] || mfail "namespace $ns left after stop"
done
left="$(ip -n "$WAN" -o link show | awk -F': ' '$2 != "lo" { print $2 }')"
[ -z "$left" ] || mfail "uplink veth left in the wan namespace after stop: $left"
[ ! -e "$H/vm1.sock" ] || mfail "vmnic socket left after stop"
mlog "PASS"
