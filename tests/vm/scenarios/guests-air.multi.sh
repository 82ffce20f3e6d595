#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# guests-air: two QEMU guests on one host medium (multi-guest scenario, run
# by multi.sh on the host; helpers in multi-lib.sh). The host runs
# `vmedium run --no-lab --guests unix:…` as nobody (no root, no Wi-Fi in
# the host kernel); each guest loads mac80211_hwsim radios=0 and runs
# `vmedium agent --connect virtio:vmedium --name vmX --radios 1` on a
# virtio-serial port whose host end is that socket, so its radio gets an
# address derived from its name.
#   A: hostapd WPA2 on its radio; B: wpa_supplicant; B associates and
#   pings A with 0 % loss; `vmctl deny -s vmA/wlan0 -d vmB/wlan0` on the
#   host → 100 % loss, `deny -c` restores; a host capture holds both
#   guests' frames with radiotap signal (tshark);
#   `vmctl link --signal` shows in B's `iw station dump` within a second;
#   with loss set, B's station dump counts retries (the host decides);
#   B's agent killed and restarted: B re-associates by itself; the host's
#   vmedium killed and restarted: both radios rejoin, traffic resumes
#   within 30 s; no guest kernel warning;
#   measured: TCP B→A and ping through the host medium (and again with
#   both agents held to GOMAXPROCS=1, the runtime's old setting), then the same two
#   radios inside guest A on the kernel's own medium (BENCHMARKS.md).
# vm-timeout: 540
set -uo pipefail

H="$VM_TMP/host"
mkdir -p "$H" && chmod 1777 "$H"
# the binaries, where an unprivileged user can run them
cp "$VM_BIN/vmedium" "$VM_BIN/vmctl" "$H/"
ctl() { "$H/vmctl" --socket "$H/ctl.sock" "$@"; }
# as root, the host end drops to nobody; any other user is unprivileged already
AS_NOBODY=()
[ "$(id -u)" != 0 ] || AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
metric() { echo "$1=$2 ${3:-}" >>"$VM_OUT/metrics"; mlog "metric $1=$2 ${3:-}"; }
now() { date +%s.%N; }
# the average of ping's summary (iputils "rtt min/avg/max/mdev = …" or
# busybox "round-trip min/avg/max = …")
rtt_avg() { sed -n 's#^\(rtt\|round-trip\).*= *[0-9.]*/\([0-9.]*\)/.*#\2#p'; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

start_host() {
	"${AS_NOBODY[@]}" "$H/vmedium" run --no-lab --guests "unix:$H/guests.sock" --socket "$H/ctl.sock" \
		--state-dir "$H/state" --metrics-addr off >"$VM_OUT/host-$1.out" 2>"$VM_OUT/host-$1.log" &
	HOST_PID=$!
	mwait 30 grep -q '^vmedium is running' "$VM_OUT/host-$1.out"
}
start_host 1
uid="$(awk '/^Uid:/ { print $2 }' "/proc/$HOST_PID/status")"
[ "$uid" != 0 ] || mfail "vmedium run is running as root"
mlog "host vmedium running as uid $uid (pid $HOST_PID)"

# bad input on the host: an unknown scheme is refused before anything runs
out="$("$H/vmedium" run --no-lab --guests vsock:2:1 --socket "$H/bad.sock" --state-dir "$H/bad" 2>&1)"
rc=$?
[ "$rc" = 2 ] && [[ "$out" == *'unknown transport scheme "vsock"'* ]] || mfail "--guests vsock:2:1: exit $rc: $out"

mapfile -t port < <(vm_port_args vmedium "$H/guests.sock")
vm_start vmA "${port[@]}"
vm_start vmB "${port[@]}"
vm_ready vmA vmB

# each guest: its own radio with a derived address, in namespace ns1
setup_guest() { # NAME IP
	vmx "$1" "
modprobe mac80211_hwsim radios=0 || fail modprobe
vmedium agent --connect virtio:vmedium --name $1 --radios 1 >/vm/work/agent-1.out 2>/vm/work/agent-1.log &
echo \$! >/vm/work/agent.pid
wait_for 20 test -e /sys/class/net/wlan0
ns_add ns1
phy_to_ns \$(phy_of wlan0) ns1
in_ns ns1 ip addr add $2/24 dev wlan0
in_ns ns1 ip link set wlan0 up
in_ns ns1 ip link show wlan0" || mfail "setting up $1"
}
setup_guest vmA 10.0.0.1
setup_guest vmB 10.0.0.2
listed() { ctl radios | grep -q "^$1 "; }
mwait 30 listed vmA/wlan0
mwait 30 listed vmB/wlan0
ctl radios | tee "$VM_OUT/radios.txt" >&2
addr_of() { ctl --json radios | awk -v n="\"$1\"," '$1 == "\"name\":" { on = ($2 == n) } on && $1 == "\"addr\":" { gsub(/[",]/, "", $2); print $2; exit }'; }
A_ADDR="$(addr_of vmA/wlan0)" B_ADDR="$(addr_of vmB/wlan0)"
mlog "vmA/wlan0 $A_ADDR, vmB/wlan0 $B_ADDR"
[[ "$A_ADDR" == 06:* && "$B_ADDR" == 06:* && "$A_ADDR" != "$B_ADDR" ]] || mfail "guest radios lack distinct derived addresses: $A_ADDR $B_ADDR"
ctl status | grep -q 'guest: live, 2 radios in 2 guests (vmA, vmB)' || mfail "vmctl status: $(ctl status)"

# capture while B joins and pings
ctl capture -o "$VM_OUT/air.pcap" -t 25s 2>"$VM_OUT/capture.err" &
CAP_PID=$!
sleep 1
vmx vmA "start_hostapd ns1 wlan0 vmedium 6 vmedium-pass" || mfail "hostapd in vmA"
t0="$(now)"
vmx vmB "start_wpa ns1 wlan0 vmedium vmedium-pass 2437; wait_wpa_completed 60 ns1 wlan0" || mfail "wpa_supplicant in vmB"
metric guests_assoc "$(since "$t0")" s
vmx vmB "ping_ok ns1 10.0.0.1 10" || mfail "B -> A"
vmx vmA "ping_ok ns1 10.0.0.2 5" || mfail "A -> B"
mlog "B associated with A through the host medium, ping 0 % loss"

ctl deny -s vmA/wlan0 -d vmB/wlan0 || mfail "vmctl deny"
loss="$(vmx vmB "ping_loss ns1 10.0.0.1 5")" || mfail "ping with deny"
[ "$loss" = 100 ] || mfail "B -> A with vmA/wlan0 denied at vmB/wlan0: $loss % loss, want 100"
metric guests_deny_loss "$loss" %
ctl deny -c || mfail "vmctl deny -c"
vmx vmB "wait_for 30 in_ns ns1 ping -c 1 -W 1 10.0.0.1; ping_ok ns1 10.0.0.1 5" || mfail "B -> A after deny -c"
mlog "deny cuts B from A, deny -c restores"
wait "$CAP_PID" || mfail "vmctl capture: $(cat "$VM_OUT/capture.err")"
if command -v tshark >/dev/null; then
	tshark -r "$VM_OUT/air.pcap" -T fields -e wlan.ta -e radiotap.dbm_antsignal 2>/dev/null |
		awk 'NF == 2' | sort | uniq -c | sort -rn >"$VM_OUT/air.txt"
	for a in "$A_ADDR" "$B_ADDR"; do
		grep -q " $a[[:space:]]" "$VM_OUT/air.txt" || mfail "capture: no frame from $a with radiotap signal: $(head "$VM_OUT/air.txt")"
	done
	metric guests_capture_frames "$(tshark -r "$VM_OUT/air.pcap" 2>/dev/null | wc -l)" frames
else
	mlog "no tshark on the host: capture size only"
	[ "$(stat -c %s "$VM_OUT/air.pcap")" -gt 1000 ] || mfail "capture nearly empty"
fi

# the host's link settings reach the guest: signal within a second
ctl link -s vmA/wlan0 -d vmB/wlan0 --signal -67 || mfail "vmctl link --signal"
t0="$(now)"
took="$(vmx vmB '
t0=$(cut -d" " -f1 /proc/uptime)
until in_ns ns1 iw dev wlan0 station dump | grep -Eq "^[[:space:]]*signal:[[:space:]]*-67 "; do
	[ "$(awk -v a=$t0 -v b=$(cut -d" " -f1 /proc/uptime) "BEGIN { print (b - a > 5) }")" = 0 ] || fail "signal never -67: $(in_ns ns1 iw dev wlan0 station dump | grep signal)"
	sleep 0.05
done
awk -v a=$t0 -v b=$(cut -d" " -f1 /proc/uptime) "BEGIN { printf \"%.2f\", b - a }"')" || mfail "signal from vmctl link"
metric guests_link_signal_seen "$took" s
metric guests_link_signal_seen_host "$(since "$t0")" s
awk -v t="$took" 'BEGIN { exit !(t <= 1) }' || mfail "signal -67 showed after ${took}s, want within 1 s"
retries() { vmx vmB "in_ns ns1 iw dev wlan0 station dump" | awk '/tx retries:/ { print $3 }'; }
r0="$(retries)"
ctl link -s vmB/wlan0 -d vmA/wlan0 --loss 0.4 || mfail "vmctl link --loss"
vmx vmB "in_ns ns1 ping -q -c 20 -i 0.2 -W 1 10.0.0.1" >/dev/null
r1="$(retries)"
metric guests_loss_retries "$((r1 - r0))" retries
[ "$((r1 - r0))" -gt 0 ] || mfail "no TX retries in B's station dump with loss 0.4 ($r0 -> $r1)"
ctl link -s vmB/wlan0 -d vmA/wlan0 --loss 0 || mfail "vmctl link --loss 0"
mlog "link signal reached B after ${took}s; loss 0.4 gave $((r1 - r0)) retries"

# throughput and latency through the host's medium
vmx vmA "in_ns ns1 iperf3 -s -1 -D -B 10.0.0.1 --logfile /vm/work/iperf3-server.log; wait_for 5 sh -c 'ip netns exec ns1 ss -ltn | grep -q :5201'" ||
	mfail "iperf3 server in vmA"
mbit="$(vmx vmB "in_ns ns1 iperf3 -c 10.0.0.1 -t 5 -f m" | awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' | tail -n1)"
metric guests_tcp_host_medium "${mbit:-0}" Mbit/s
rtt="$(vmx vmB "in_ns ns1 ping -q -c 20 -i 0.2 10.0.0.1" | rtt_avg)"
metric guests_ping_avg_host_medium "${rtt:-0}" ms

# B's agent killed and restarted: B re-associates by itself
vmx vmB 'kill $(cat /vm/work/agent.pid)' || mfail "kill B's agent"
gone() { ! ctl radios | grep -q '^vmB/'; }
mwait 15 gone
t0="$(now)"
vmx vmB "vmedium agent --connect virtio:vmedium --name vmB --radios 1 >/vm/work/agent-2.out 2>/vm/work/agent-2.log &
echo \$! >/vm/work/agent.pid" || mfail "restart B's agent"
mwait 30 listed vmB/wlan0
vmx vmB "wait_for 60 _wpa_completed ns1 wlan0; wait_for 30 in_ns ns1 ping -c 1 -W 1 10.0.0.1; ping_ok ns1 10.0.0.1 5" ||
	mfail "B after its agent's restart"
vmx vmB "grep -q 'radio found' /vm/work/agent-2.log" ||
	mfail "B's restarted agent made a new radio instead of finding its own"
metric guests_agent_restart_ping "$(since "$t0")" s

# the host's vmedium killed and restarted: both radios rejoin, traffic resumes
kill -9 "$HOST_PID"
wait "$HOST_PID" 2>/dev/null
rm -f "$H/guests.sock" "$H/ctl.sock"
t0="$(now)"
start_host 2
mwait 30 listed vmA/wlan0
mwait 30 listed vmB/wlan0
vmx vmB "wait_for 30 in_ns ns1 ping -c 1 -W 1 10.0.0.1" || mfail "B -> A after the host's restart"
back="$(since "$t0")"
metric guests_host_restart_ping "$back" s
awk -v t="$back" 'BEGIN { exit !(t <= 30) }' || mfail "traffic back after ${back}s, want within 30 s"
vmx vmB "ping_ok ns1 10.0.0.1 5" && vmx vmA "ping_ok ns1 10.0.0.2 5" || mfail "ping after the host's restart"
mlog "host restarted: radios rejoined, traffic back after ${back}s"

# the same through agents held to one P (GOMAXPROCS=1: the agent's runtime
# before it raised it to two), for the before/after in BENCHMARKS.md
for g in vmA vmB; do
	vmx "$g" "kill \$(cat /vm/work/agent.pid); sleep 0.5
GOMAXPROCS=1 vmedium agent --connect virtio:vmedium --name $g --radios 1 >/vm/work/agent-p1.out 2>/vm/work/agent-p1.log &
echo \$! >/vm/work/agent.pid" || mfail "restart $g's agent with GOMAXPROCS=1"
done
mwait 30 listed vmA/wlan0
mwait 30 listed vmB/wlan0
vmx vmB "wait_for 60 _wpa_completed ns1 wlan0; wait_for 30 in_ns ns1 ping -c 1 -W 1 10.0.0.1" || mfail "B -> A with GOMAXPROCS=1 agents"
vmx vmA "in_ns ns1 iperf3 -s -1 -D -B 10.0.0.1 --logfile /vm/work/iperf3-server-p1.log; wait_for 5 sh -c 'ip netns exec ns1 ss -ltn | grep -q :5201'" ||
	mfail "iperf3 server in vmA"
mbit="$(vmx vmB "in_ns ns1 iperf3 -c 10.0.0.1 -t 5 -f m" | awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' | tail -n1)"
metric guests_tcp_host_medium_p1 "${mbit:-0}" Mbit/s
rtt="$(vmx vmB "in_ns ns1 ping -q -c 20 -i 0.2 10.0.0.1" | rtt_avg)"
metric guests_ping_avg_host_medium_p1 "${rtt:-0}" ms
for g in vmA vmB; do vmx "$g" check_dmesg || mfail "kernel warnings in $g"; done

# the same two radios inside one guest on the kernel's own medium
vm_stop vmB
vmx vmA '
pkill hostapd; pkill iperf3; kill $(cat /vm/work/agent.pid); sleep 0.5
ip netns del ns1
rmmod mac80211_hwsim || fail rmmod
hwsim_load 2
ns_add k1 k2
phy_to_ns $(phy_of wlan0) k1
phy_to_ns $(phy_of wlan1) k2
in_ns k1 ip addr add 10.0.1.1/24 dev wlan0; in_ns k1 ip link set wlan0 up
in_ns k2 ip addr add 10.0.1.2/24 dev wlan1; in_ns k2 ip link set wlan1 up
start_hostapd k1 wlan0 kernel 6 vmedium-pass
start_wpa k2 wlan1 kernel vmedium-pass 2437
wait_wpa_completed 60 k2 wlan1
ping_ok k2 10.0.1.1 3' || mfail "in-kernel medium in vmA"
mbit="$(vmx vmA "iperf_tcp k1 10.0.1.1 k2 5 2>/dev/null")" || mfail "iperf3 on the kernel medium"
metric guests_tcp_kernel_medium "$mbit" Mbit/s
rtt="$(vmx vmA "in_ns k2 ping -q -c 20 -i 0.2 10.0.1.1" | rtt_avg)"
metric guests_ping_avg_kernel_medium "${rtt:-0}" ms
vmx vmA check_dmesg || mfail "kernel warnings in vmA"
vm_stop vmA
kill "$HOST_PID"
wait "$HOST_PID" || mfail "host vmedium exited $? on SIGTERM"
cat "$VM_OUT/metrics" >&2
mlog "guests-air passed"
