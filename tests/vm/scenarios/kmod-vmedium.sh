#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod-vmedium: the kmod lab through the product
# binaries (not a Go test binary): with vmedium.ko loaded, `vmedium run`
# without --backend must auto-select kmod and bring up the seed lab (vw0 AP
# in ns0, vw1/vw2 stations in ns1/ns2); `vmctl status` says
# "kmod: live, 3 radios"; `iw link` and `station dump` show the
# associations; pings STA→STA (relayed by the Go AP), STA→AP, AP→STA have
# 0 % loss (metric: the STA→STA median RTT of 25 pings); `vmctl deny`/`deny -c` cut and restore vw1→vw2 only; a
# `vmctl link --signal` change shows in `iw dev vw1 link` within 1 s;
# kill -9 vmedium (with a deny rule) drops every carrier, a new `vmedium run`
# on the same state dir cleans the crashed run's namespaces, lists the deny
# rule again, the stations reconnect by themselves and pass STA->AP pings
# within 30 s while the denied pair stays blocked; SIGTERM removes the namespaces; rmmod is clean and dmesg has
# no WARNING/BUG.
# vm-timeout: 360
. /vm/lib.sh

SOCK=/tmp/vmedium/vmedium.sock
STATE=/tmp/vmedium
ctl() { vmctl --socket "$SOCK" "$@"; }
up() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk "BEGIN { printf \"%.2f\", $(up) - $1 }"; }

# start_vmedium N: `vmedium run` with no --backend in the background (logs
# vmedium-N.*), VM_PID is its pid.
start_vmedium() {
	vmedium run --socket "$SOCK" --state-dir "$STATE" --metrics-addr off \
		>"$VM_WORK/vmedium-$1.out" 2>"$VM_WORK/vmedium-$1.log" &
	VM_PID=$!
}
_status_live() {
	local s
	s="$(ctl status)" || return 1
	echo "$s" | grep -qx 'vmedium status: live' && echo "$s" | grep -qx 'kmod: live, 3 radios'
}
_connected() { in_ns "$1" iw dev "$2" link | grep -q "Connected to $AP_MAC"; }
_no_carrier() {
	local l
	l="$(ip -n "$1" link show "$2")" || return 1
	case "$l" in *NO-CARRIER* | *"state DOWN"*) return 0 ;; esac
	return 1
}

[ -f /vm/modules/vmedium.ko ] || fail "no /vm/modules/vmedium.ko (build-bins.sh builds it with kmod/build-vm.sh)"
assert modprobe cfg80211
assert insmod /vm/modules/vmedium.ko
wait_for 10 test -e /sys/class/net/vw2

# --- auto picks kmod; vmctl status -------------------------------------------
t0="$(up)"
start_vmedium 1
wait_for 120 grep -q '^vmedium is running' "$VM_WORK/vmedium-1.out"
t_up="$(elapsed "$t0")"
cat "$VM_WORK/vmedium-1.out"
grep -q 'backend auto: using kmod' "$VM_WORK/vmedium-1.log" ||
	fail "vmedium did not auto-select kmod: $(head -n 3 "$VM_WORK/vmedium-1.log")"
wait_for 10 _status_live
st="$(ctl status)"
echo "$st"
log "vmedium run (auto → kmod) up in ${t_up}s"
vm_metric kmod_vmedium_up "$t_up" s

# --- association ---------------------------------------------------------------
AP_MAC="$(in_ns ns0 cat /sys/class/net/vw0/address)" || fail "no vw0 in ns0"
STA1_MAC="$(in_ns ns1 cat /sys/class/net/vw1/address)" || fail "no vw1 in ns1"
STA2_MAC="$(in_ns ns2 cat /sys/class/net/vw2/address)" || fail "no vw2 in ns2"
wait_for 20 _connected ns1 vw1
wait_for 20 _connected ns2 vw2
link1="$(in_ns ns1 iw dev vw1 link)"
echo "$link1"
assert_contains "$link1" "Connected to $AP_MAC" "iw dev vw1 link"
assert_contains "$link1" "SSID: vmedium" "iw dev vw1 link"
dump="$(in_ns ns0 iw dev vw0 station dump)"
echo "$dump"
assert_contains "$dump" "Station $STA1_MAC" "vw0 station dump"
assert_contains "$dump" "Station $STA2_MAC" "vw0 station dump"

# --- pings -------------------------------------------------------------------
ping_ok ns1 10.0.0.3 5
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 5

# --- latency: STA->STA round trip (vw1 -> Go STA -> Go AP -> Go STA -> vw2 and back)
_ping_median() { # NS ADDR COUNT: median RTT in ms of COUNT pings 0.2 s apart
	in_ns "$1" ping -c "$3" -i 0.2 -W 2 "$2" >"$VM_WORK/ping-rtt.txt" 2>&1
	sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' "$VM_WORK/ping-rtt.txt" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
rtt="$(_ping_median ns1 10.0.0.3 25)"
[ -n "$rtt" ] || fail "no ping RTT: $(cat "$VM_WORK/ping-rtt.txt")"
log "STA->STA ping through vmedium.ko: median ${rtt} ms"
vm_metric kmod_ping_sta_sta_median "$rtt" ms

# --- deny / clear --------------------------------------------------------------
ctl deny -s vw1 -d vw2 || fail "vmctl deny -s vw1 -d vw2"
loss="$(ping_loss ns1 10.0.0.3 5)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.3 loss with vw1 denied at vw2"
vm_metric kmod_deny_loss_sta_sta "$loss" %
ping_ok ns1 10.0.0.1 5
ctl deny -c || fail "vmctl deny -c"
ping_ok ns1 10.0.0.3 5
log "deny/clear behave"

# --- signal ------------------------------------------------------------------
ctl link -s vw0 -d vw1 --signal -61 || fail "vmctl link --signal -61"
t0="$(up)"
{ _xoff; } 2>/dev/null
until in_ns ns1 iw dev vw1 link | grep -q 'signal: -61 dBm'; do
	[ "$(awk "BEGIN { print ($(up) - $t0 > 1.0) }")" = 0 ] || {
		_xon
		in_ns ns1 iw dev vw1 link
		fail "iw dev vw1 link does not show signal -61 dBm within 1 s"
	}
	sleep 0.05
done
_xon
t_sig="$(elapsed "$t0")"
in_ns ns1 iw dev vw1 link | grep signal
log "signal -61 dBm visible in iw dev vw1 link after ${t_sig}s"
vm_metric kmod_signal_visible "$t_sig" s

# --- crash: kill -9 -> carriers drop -------------------------------------------
# with a deny rule in force: the next run must keep it (vw2 does not hear vw1)
ctl deny -s vw1 -d vw2 || fail "vmctl deny -s vw1 -d vw2 before the crash"
assert_eq "$(ping_loss ns1 10.0.0.3 3)" 100 "ns1 -> 10.0.0.3 with vw1 denied at vw2"
_all_no_carrier() { _no_carrier ns0 vw0 && _no_carrier ns1 vw1 && _no_carrier ns2 vw2; }
assert_fail _no_carrier ns1 vw1
# A process left in ns1 (a user's shell, say) keeps that namespace alive
# after the next run unmounts it as stale: the next run must take vw1's
# wiphy back itself rather than wait for a namespace that never dies.
ip netns exec ns1 sleep 600 &
HOLDER=$!
t0="$(up)"
kill -9 "$VM_PID"
wait_for 10 _all_no_carrier
t_drop="$(elapsed "$t0")"
wait "$VM_PID" 2>/dev/null
ip -n ns1 link show vw1
for i in 0 1 2; do
	assert_eq "$(in_ns ns$i cat /sys/class/net/vw$i/carrier)" 0 "vw$i carrier after kill -9"
done
log "carriers of vw0-vw2 down ${t_drop}s after kill -9"
vm_metric kmod_carrier_drop "$t_drop" s
check_dmesg

# --- restart on the same state dir: stations reconnect by themselves ------------
t0="$(up)"
start_vmedium 2
_denied() { ctl --json deny 2>/dev/null | grep -q '"vw2"'; }
# The saved rule is in force before any radio joins: listed from the
# control API's first answer (status "starting"), and at "live".
wait_for 120 ctl status
_denied || fail "the saved deny rule is not listed when the control API first answers ($(ctl status))"
t_deny="$(elapsed "$t0")"
wait_for 120 grep -q '^vmedium is running' "$VM_WORK/vmedium-2.out"
cat "$VM_WORK/vmedium-2.out"
wait_for 10 _status_live
cat "$VM_WORK/vmedium-2.log"
grep -q 'removed stale namespace' "$VM_WORK/vmedium-2.log" ||
	fail "the new vmedium run did not clean the crashed run's namespaces"
cat "$VM_WORK/vmedium-2.out" "$VM_WORK/vmedium-2.log" | grep -q "moved vw1 back from stale namespace ns1" ||
	fail "the new vmedium run did not take vw1 back from the held stale ns1"
kill "$HOLDER"
AP_MAC="$(in_ns ns0 cat /sys/class/net/vw0/address)" || fail "no vw0 in ns0 after restart"
wait_for 30 _connected ns1 vw1
wait_for 30 _connected ns2 vw2
t_re="$(elapsed "$t0")"
_ping1() { in_ns "$1" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
wait_for 30 _ping1 ns1 10.0.0.1
wait_for 30 _ping1 ns2 10.0.0.1
t_ping="$(elapsed "$t0")"
log "restarted; deny listed after ${t_deny}s, both stations reconnected ${t_re}s, STA->AP pings ${t_ping}s after the new vmedium run"
vm_metric kmod_restart_deny_listed "$t_deny" s
vm_metric kmod_restart_reconnect "$t_re" s
vm_metric kmod_restart_ping "$t_ping" s
# the runtime state saved in the same state dir came back: vw0 -> vw1 -61 dBm
_sig61() { in_ns ns1 iw dev vw1 link | grep -q 'signal: -61 dBm'; }
wait_for 5 _sig61
ctl links
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 5
assert_contains "$(ctl deny)" "vw1" "vmctl deny after restart"
assert_eq "$(ping_loss ns1 10.0.0.3 3)" 100 "ns1 -> 10.0.0.3 after restart (deny kept)"
ctl deny -c || fail "vmctl deny -c after restart"
# ARP for 10.0.0.3 failed while the rule held: allow for a fresh resolution
wait_for 15 _ping1 ns1 10.0.0.3
ping_ok ns1 10.0.0.3 5

# --- SIGTERM: exits, namespaces gone -----------------------------------------
kill -TERM "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
for ns in ns0 ns1 ns2; do
	[ ! -e /run/netns/$ns ] || fail "namespace $ns left after vmedium stopped"
done
log "SIGTERM: vmedium exited 0, namespaces gone"

# --- unload ------------------------------------------------------------------
# Deleted namespaces hand the wiphys back to init_net asynchronously.
wait_for 10 test -e /sys/class/net/vw2
assert rmmod vmedium
[ ! -e /sys/class/net/vw0 ] || fail "vw0 left after rmmod"
dmesg | grep -E 'vmedium' | tail -n 20
check_dmesg
log "kmod-vmedium passed"
