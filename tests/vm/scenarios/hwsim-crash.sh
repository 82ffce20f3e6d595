#!/bin/sh
# SPDX-License-Identifier: MIT
# hwsim-crash: crash-only restart of the hwsim lab. `vmedium run --backend
# hwsim` with a deny rule (vw2 does not hear vw1), then kill -9, then a new
# `vmedium run` on the same state dir: no hostapd/wpa_supplicant of the dead
# run survives, the deny rule is listed by `vmctl deny`, both stations
# re-associate (WPA2-PSK) and STA->AP pings pass within 30 s while the denied
# STA->STA pair stays blocked; clearing the rule lets STA->STA through.
# vm-timeout: 300
. /vm/lib.sh

SOCK=/run/vmedium/vmedium.sock
STATE=/run/vmedium
ctl() { vmctl --socket "$SOCK" "$@"; }
up() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk "BEGIN { printf \"%.2f\", $(up) - $1 }"; }

start_vmedium() {
	vmedium run --backend hwsim --socket "$SOCK" --state-dir "$STATE" --metrics-addr off \
		>"$VM_WORK/vmedium-$1.out" 2>"$VM_WORK/vmedium-$1.log" &
	VM_PID=$!
}
# daemons: "pid:comm" of every hostapd and wpa_supplicant
# (the shell's own read: a process per /proc entry is seconds under TCG)
daemons() {
	local p c
	{ _xoff; } 2>/dev/null
	for p in /proc/[0-9]*; do
		read -r c 2>/dev/null <"$p/comm" || continue
		case "$c" in hostapd | wpa_supplicant) echo "${p#/proc/}:$c" ;; esac
	done
	_xon
}
wpa() { in_ns "$1" wpa_cli -p "$STATE/hwsim/wpa-$2" -i "$2" status 2>/dev/null; }
_completed() { wpa "$1" "$2" | grep -q '^wpa_state=COMPLETED'; }
_denied() { ctl --json deny 2>/dev/null | grep -q '"vw2"'; }
_ping1() { in_ns "$1" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1; }

# On failure, show the lab's daemon logs too.
_vm_dump_logs() {
	for f in "$VM_WORK"/*.log "$STATE"/hwsim/*.log; do
		[ -f "$f" ] || continue
		echo "----- tail $f"
		tail -n 30 "$f"
	done
}
# wait_running N: wait (90 s at most) for run N's "vmedium is running";
# a run that exited ends the wait at once.
wait_running() {
	local i=0
	{ _xoff; } 2>/dev/null
	until grep -q '^vmedium is running' "$VM_WORK/vmedium-$1.out"; do
		kill -0 "$VM_PID" 2>/dev/null || fail "vmedium run $1 exited: $(tail -n 3 "$VM_WORK/vmedium-$1.log")"
		i=$((i + 1))
		[ "$i" -lt 450 ] || fail "vmedium run $1 not running after 90 s"
		sleep 0.2
	done
	_xon
}

modprobe mac80211_hwsim radios=0 || fail "modprobe mac80211_hwsim radios=0"
start_vmedium 1
wait_running 1
wait_for 30 _completed ns1 vw1
wait_for 30 _completed ns2 vw2
ctl deny -s vw1 -d vw2 || fail "vmctl deny -s vw1 -d vw2"
ping_ok ns1 10.0.0.1 3
assert_eq "$(ping_loss ns1 10.0.0.3 3)" 100 "ns1 -> 10.0.0.3 with vw1 denied at vw2"
OLD="$(daemons)"
log "daemons of the first run: $(echo $OLD)"
[ "$(echo "$OLD" | grep -c .)" = 3 ] || fail "want 3 daemons (hostapd + 2 wpa_supplicant), got: $OLD"

# --- kill -9, restart on the same state dir -----------------------------------
kill -9 "$VM_PID"
wait "$VM_PID" 2>/dev/null
t0="$(up)"
start_vmedium 2
# STA->STA pings from the first moment the new vw1 exists: the denied pair
# must not get one through while the lab comes up.
_vw1() { ip -n ns1 link show vw1 | grep -q "[<,]UP[,>]"; }
wait_for 60 _vw1
in_ns ns1 ping -q -i 0.2 -w 20 10.0.0.3 >"$VM_WORK/leak-ping.txt" 2>&1 &
LEAK_PID=$!
# The saved rule is in force before any radio joins: listed from the first
# moment the control API answers (status "starting"), and at "live".
wait_for 90 ctl status
_denied || fail "the saved deny rule is not listed when the control API first answers ($(ctl status))"
t_deny="$(elapsed "$t0")"
ctl status --wait 90s || fail "vmctl status --wait: not live within 90 s"
_denied || fail "the saved deny rule is not listed at the first live status"
wait_running 2
cat "$VM_WORK/vmedium-2.out"
# what the new run reaped, and its own association times
grep -E 'killed stale|removed stale|deleted stale|associated with' "$VM_WORK/vmedium-2.log"
for d in $OLD; do
	pid="${d%%:*}"
	c=""
	read -r c 2>/dev/null <"/proc/$pid/comm"
	[ "$c" != "${d#*:}" ] ||
		fail "daemon $d of the crashed run survives the restart (now: $(echo $(daemons)))"
done
log "no daemon of the crashed run survives; now: $(echo $(daemons))"
# The dead run's radios are gone (the kernel destroys them when its netlink
# socket closes): three wiphys in all, the new run's.
wiphys="$(for ns in ns0 ns1 ns2; do in_ns $ns ls /sys/class/ieee80211; done; ls /sys/class/ieee80211)"
log "wiphys after restart: $(echo $wiphys)"
assert_eq "$(echo "$wiphys" | grep -c .)" 3 "number of wiphys after restart"
wait_for 30 _completed ns1 vw1
wait_for 30 _completed ns2 vw2
t_assoc="$(elapsed "$t0")"
wait_for 30 _ping1 ns1 10.0.0.1
wait_for 30 _ping1 ns2 10.0.0.1
t_ping="$(elapsed "$t0")"
assert_contains "$(wpa ns1 vw1)" "key_mgmt=WPA2-PSK" "vw1 status after restart"
log "restart: deny listed after ${t_deny}s, both stations associated after ${t_assoc}s, STA->AP pings after ${t_ping}s"
vm_metric hwsim_restart_deny_listed "$t_deny" s
vm_metric hwsim_restart_reassoc "$t_assoc" s
vm_metric hwsim_restart_ping "$t_ping" s
ping_ok ns1 10.0.0.1 3
ping_ok ns2 10.0.0.1 3
ping_ok ns0 10.0.0.2 3
assert_contains "$(ctl deny)" "vw1" "vmctl deny after restart"
assert_eq "$(ping_loss ns1 10.0.0.3 3)" 100 "ns1 -> 10.0.0.3 after restart (deny kept)"
wait "$LEAK_PID"
cat "$VM_WORK/leak-ping.txt"
leaked="$(sed -n 's/.* \([0-9][0-9]*\) packets received.*/\1/p' "$VM_WORK/leak-ping.txt")"
vm_metric hwsim_restart_sta_sta_leaked "${leaked:-unparsed}" replies
[ "$leaked" = 0 ] || fail "$leaked STA->STA replies of the denied pair got through while the lab came up"
ctl deny -c || fail "vmctl deny -c"
# ARP for 10.0.0.3 failed while the rule held: allow for a fresh resolution
wait_for 15 _ping1 ns1 10.0.0.3
ping_ok ns1 10.0.0.3 3
log "STA->STA passes once the rule is cleared"

kill "$VM_PID"
wait "$VM_PID" || fail "vmedium run exited $? on SIGTERM"
for ns in ns0 ns1 ns2; do
	[ ! -e /run/netns/$ns ] || fail "namespace $ns left after vmedium stopped"
done
[ -z "$(daemons)" ] || fail "daemons left after SIGTERM: $(daemons)"
check_dmesg
log "hwsim-crash passed"
