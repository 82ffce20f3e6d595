#!/bin/sh
# SPDX-License-Identifier: MIT
# guest-agent: both ends of the guest protocol inside one guest. The host
# end, `vmedium run --no-lab --guests unix:…`, runs as an unprivileged user
# (no root, no Wi-Fi support needed); `vmedium agent --connect unix:…
# --name vmA` serves the two mac80211_hwsim radios and relays their frames
# to it, so every frame crosses the stream and the host's medium decides.
#   radios listed as vmA/wlan0 and vmA/wlan1 (kind guest, in guest vmA);
#   hostapd (open) on wlan0, wpa_supplicant on wlan1: association, ping;
#   `vmctl deny -s vmA/wlan0 -d vmA/wlan1` → 100 % loss, `deny -c` restores;
#   the agent killed and restarted: its radios leave and rejoin, traffic
#   resumes with the rule set by name still in force;
#   the host end killed (-9) and restarted: the agent finds it again, the
#   radios rejoin with the saved rule, traffic resumes, no kernel warning.
# vm-timeout: 360
. /vm/lib.sh

RUN=/tmp/vmg
SOCK=$RUN/vmedium.sock
GSOCK=$RUN/g.sock
ctl() { vmctl --socket "$SOCK" "$@"; }

mkdir -p "$RUN"
chmod 1777 "$RUN"

# bad input is refused before anything happens
vmedium run --no-lab --state-dir "$RUN/state" >"$VM_WORK/badcombo.out" 2>&1
rc=$?
assert_eq "$rc" 2 "exit code of vmedium run --no-lab without --guests"
vmedium agent --connect vsock:2:1 >"$VM_WORK/badaddr.out" 2>&1
rc=$?
assert_eq "$rc" 2 "exit code of vmedium agent with an unknown scheme"
assert_contains "$(cat "$VM_WORK/badaddr.out")" 'unknown transport scheme "vsock"' "agent address error"

hwsim_load 2
ns_add ns1 ns2
for i in 0 1; do
	phy_to_ns "$(phy_of wlan$i)" ns$((i + 1))
	in_ns ns$((i + 1)) ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$((i + 1)) ip link set wlan$i up
done

# the host end, unprivileged
AS_NOBODY=""
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	log "no setpriv here: vmedium run runs as root (it does not need to)"
fi
start_host() {
	$AS_NOBODY vmedium run --no-lab --guests "unix:$GSOCK" --socket "$SOCK" --state-dir "$RUN/state" --metrics-addr off \
		>"$VM_WORK/vmedium-$1.out" 2>"$VM_WORK/vmedium-$1.log" &
	HOST_PID=$!
	wait_for 30 grep -q '^vmedium is running' "$VM_WORK/vmedium-$1.out"
	cat "$VM_WORK/vmedium-$1.out"
}
start_host 1
[ -z "$AS_NOBODY" ] || assert_eq "$(awk '/^Uid:/ { print $2 }' /proc/$HOST_PID/status)" 65534 "uid of vmedium run"

start_agent() {
	vmedium agent --connect "unix:$GSOCK" --name vmA >"$VM_WORK/agent-$1.out" 2>"$VM_WORK/agent-$1.log" &
	AGENT_PID=$!
}
_listed() { ctl radios 2>/dev/null | grep -q '^vmA/wlan0 ' && ctl radios | grep -q '^vmA/wlan1 '; }
start_agent 1
wait_for 30 _listed
ctl radios | tee "$VM_WORK/radios.txt"
assert_contains "$(ctl --json radios)" '"kind": "guest"' "kind of the guest radios"
assert_contains "$(ctl radios)" "in guest vmA" "vmctl radios names the guest"
assert_contains "$(ctl status)" "guest: live, 2 radios in 1 guest (vmA)" "vmctl status"

start_hostapd ns1 wlan0 vmedium 6
start_wpa ns2 wlan1 vmedium "" 2437
wait_wpa_completed 60 ns2 wlan1
log "station associated through the host's medium"
dmesg | grep -q 'switching to perfect channel medium' && fail "hwsim fell back to its own medium"
ping_ok ns2 10.0.0.1 5
ping_ok ns1 10.0.0.2 5
tx="$(ctl --json radios | awk -F': ' '/"tx_frames"/ { gsub(/,/, "", $2); s += $2 } END { print s + 0 }')"
assert_ge "$tx" 10 "frames the host's medium carried"

ctl deny -s vmA/wlan0 -d vmA/wlan1 || fail "vmctl deny -s vmA/wlan0 -d vmA/wlan1"
loss="$(ping_loss ns2 10.0.0.1 5)"
assert_eq "$loss" 100 "ns2 -> 10.0.0.1 with vmA/wlan0 denied at vmA/wlan1"
vm_metric guest_deny_loss "$loss" %
ctl deny -c || fail "vmctl deny -c"
_ping1() { in_ns "$1" ping -q -c 1 -W 1 "$2" >/dev/null 2>&1; }
wait_for 30 _ping1 ns2 10.0.0.1
ping_ok ns2 10.0.0.1 5
log "deny by guest radio names cuts the link, deny -c restores it"

# the agent goes away: its radios leave; back, they rejoin and obey the
# rule set on their names meanwhile
ctl deny -s vmA/wlan0 -d vmA/wlan1 || fail "vmctl deny (before the agent restart)"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
_gone() { ! ctl radios 2>/dev/null | grep -q '^vmA/'; }
wait_for 15 _gone
t0="$(cut -d' ' -f1 /proc/uptime)"
start_agent 2
wait_for 30 _listed
loss="$(ping_loss ns2 10.0.0.1 3)"
assert_eq "$loss" 100 "ns2 -> 10.0.0.1 after the agent restart (deny by name kept)"
ctl deny -c || fail "vmctl deny -c"
wait_for 60 _ping1 ns2 10.0.0.1
t_back="$(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
vm_metric guest_agent_restart_ping "$t_back" s
ping_ok ns2 10.0.0.1 5
log "agent restarted: radios rejoined, rule kept, traffic back after ${t_back}s"

# the host end killed and restarted: the agent finds it again by itself,
# the radios rejoin with the saved rule and traffic resumes
ctl deny -s vmA/wlan1 -d vmA/wlan0 || fail "vmctl deny (before the host restart)"
# (the agent's restart above let the kernel fall back for a moment; the
# host's restart must not: the agent stays registered)
fallbacks="$(dmesg | grep -c 'switching to perfect channel medium')"
kill -9 "$HOST_PID"
wait "$HOST_PID" 2>/dev/null
rm -f "$GSOCK" "$SOCK"
t0="$(cut -d' ' -f1 /proc/uptime)"
start_host 2
wait_for 30 _listed
assert_contains "$(cat "$VM_WORK/vmedium-2.log")" "restored runtime state" "host restart log"
assert_contains "$(ctl --json deny)" '"vmA/wlan1"' "deny pair after the host restart"
loss="$(ping_loss ns1 10.0.0.2 3)"
assert_eq "$loss" 100 "ns1 -> 10.0.0.2 after the host restart (saved deny)"
ctl deny -c || fail "vmctl deny -c"
wait_for 30 _ping1 ns2 10.0.0.1
t_back="$(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
vm_metric guest_host_restart_ping "$t_back" s
ping_ok ns2 10.0.0.1 5
ping_ok ns1 10.0.0.2 5
assert_eq "$(dmesg | grep -c 'switching to perfect channel medium')" "$fallbacks" "hwsim fallbacks during the host restart"
log "host restarted: radios rejoined with the saved rule, traffic back after ${t_back}s"

kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
kill "$HOST_PID"
wait "$HOST_PID" || fail "vmedium run exited $? on SIGTERM"
check_dmesg
log "guest-agent passed"
