#!/bin/sh
# SPDX-License-Identifier: MIT
# wmediumd-drop: `wmediumd` (a symlink to vmedium) as hostap's hwsim tests and
# test rigs use it.
#   -V through the symlink: the second word is v0.3.1 (hostap compares it
#   component-wise); no arguments: usage, exit 1; -t: not supported, exit 2
#   config errors (bad syntax, unknown model, index out of range): file,
#   line and key named, exit 1, no REGISTER SENT! (and the medium stays free)
#   an snr config with two ids: open AP + STA connect within 5 s, unicast and
#   broadcast pass both ways, a radio not in the config hears nothing,
#   `vmctl links` shows the config's matrix; SIGTERM → the kernel reverts
#   (dmesg) within 1 s and the pair connects again on the in-kernel medium
#   two APs on different channels: a scan on either channel lists one BSS
#   `vmedium run --attach --wmediumd-config` gives the lab's attach mode the
#   same links
# vm-timeout: 300
. /vm/lib.sh

mkdir -p "$VM_WORK/bin"
ln -s /usr/local/bin/vmedium "$VM_WORK/bin/wmediumd"
PATH="$VM_WORK/bin:$PATH"
export PATH

# -V, as hostap's get_wmediumd_version() reads it
v="$(wmediumd -V)" || fail "wmediumd -V exited $?"
log "wmediumd -V: $v"
tok="$(echo "$v" | cut -d' ' -f2)"
assert_eq "$tok" v0.3.1 "second word of wmediumd -V"
assert_contains "$v" "vmedium" "wmediumd -V names vmedium"
wmediumd >"$VM_WORK/noargs.out" 2>&1
assert_eq "$?" 1 "exit code of wmediumd without arguments"
assert_contains "$(cat "$VM_WORK/noargs.out")" "This program needs arguments" "no-argument message"
assert_contains "$(cat "$VM_WORK/noargs.out")" "Usage: wmediumd" "no-argument usage"
wmediumd -s >"$VM_WORK/noc.out" 2>&1
assert_eq "$?" 1 "exit code of wmediumd -s without -c"
assert_contains "$(cat "$VM_WORK/noc.out")" "config file must be supplied" "missing -c message"
wmediumd -t /tmp/x -c /dev/null >"$VM_WORK/t.out" 2>&1
assert_eq "$?" 2 "exit code of wmediumd -t"
assert_contains "$(cat "$VM_WORK/t.out")" "not supported yet" "-t message"

hwsim_load 4
addr() { cat /sys/class/net/wlan$1/address; }
A0="$(addr 0)" A1="$(addr 1)" A2="$(addr 2)" A3="$(addr 3)"

# config errors: named, exit 1, no REGISTER
printf 'ifaces : {\n\tids = [ "%s", "%s" ;\n};\n' "$A0" "$A1" >"$VM_WORK/bad-syntax.cfg"
printf 'ifaces : { ids = [ "%s", "%s" ]; };\nmodel : {\n\ttype = "fading";\n};\n' "$A0" "$A1" >"$VM_WORK/bad-model.cfg"
printf 'ifaces : {\n\tids = [ "%s", "%s" ];\n\tlinks = (\n\t\t(0, 1, 30),\n\t\t(1, 2, 30)\n\t);\n};\n' "$A0" "$A1" >"$VM_WORK/bad-index.cfg"
for c in "bad-syntax:2: ifaces.ids" "bad-model:3: model.type" "bad-index:5: ifaces.links"; do
	name="${c%%:*}"
	wmediumd -c "$VM_WORK/$name.cfg" >"$VM_WORK/$name.out" 2>&1
	rc=$?
	cat "$VM_WORK/$name.out"
	assert_eq "$rc" 1 "exit code with $name.cfg"
	assert_contains "$(cat "$VM_WORK/$name.out")" "$name.cfg:${c#*:}" "$name error names line and key"
	grep -q 'REGISTER SENT' "$VM_WORK/$name.out" && fail "$name.cfg: REGISTER SENT! printed"
done
assert_contains "$(cat "$VM_WORK/bad-model.out")" 'accepted: "snr", "prob", "path_loss"' "unknown model lists the accepted ones"
assert_contains "$(cat "$VM_WORK/bad-index.out")" "station index 2 is out of range" "index error"
dmesg_has 'switching to perfect channel medium' && fail "a refused config registered as the medium"

ns_add ns0 ns1 ns2 ns3
for i in 0 1 2 3; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$i ip link set wlan$i up
	in_ns ns$i sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
done

# hostap's CFG: two ids, one link
cat >"$VM_WORK/snr.cfg" <<CFG
ifaces :
{
    ids = ["$A0", "$A1" ];
    links = (
        (0, 1, 30)
    );
};
CFG
start_wmd() { # NAME CONFIG [FLAGS]
	_n="$1" _c="$2"
	shift 2
	wmediumd "$@" -c "$_c" >"$VM_WORK/wmd-$_n.out" 2>"$VM_WORK/wmd-$_n.log" &
	WMD=$!
	wait_for 20 grep -q 'REGISTER SENT!' "$VM_WORK/wmd-$_n.out"
	cat "$VM_WORK/wmd-$_n.out"
}
start_wmd snr "$VM_WORK/snr.cfg"
out="$(cat "$VM_WORK/wmd-snr.out")"
assert_contains "$out" "Input configuration file: $VM_WORK/snr.cfg" "startup line"
assert_contains "$out" "#_if = 2" "startup line"
assert_contains "$out" "Added station 1: $A1" "startup line"
vmctl status --wait 10s >/dev/null || fail "vmctl status: $(vmctl status 2>&1)"

start_hostapd ns0 wlan0 wmd 1
t0="$(cut -d' ' -f1 /proc/uptime)"
start_wpa ns1 wlan1 wmd "" 2412
wait_wpa_completed 10 ns1 wlan1
t_conn="$(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
log "STA connected through wmediumd in ${t_conn}s"
vm_metric wmd_snr_connect "$t_conn" s
awk "BEGIN { exit !($t_conn <= 5) }" || fail "connect took ${t_conn}s, want <= 5 s"
ping_ok ns1 10.0.0.1 5
ping_ok ns0 10.0.0.2 5
bping() { in_ns "$1" ping -c 3 -i 0.3 -W 2 10.0.0.255 2>/dev/null | grep -c "bytes from $2"; }
assert_ge "$(bping ns0 10.0.0.2)" 1 "broadcast ping AP -> STA answered"
assert_ge "$(bping ns1 10.0.0.1)" 1 "broadcast ping STA -> AP answered"
log "unicast and broadcast both ways"
links="$(vmctl links)"
echo "$links"
echo "$links" | grep -E "^wlan0 +wlan1 +-61 " | grep -q model || fail "vmctl links does not show wlan0 -> wlan1 at -61 dBm from the model"
# wlan2 is no station of the config: it hears nothing
in_ns ns2 timeout 30 iw dev wlan2 scan freq 2412 flush >"$VM_WORK/scan-unlisted.txt" 2>&1 ||
	fail "scan on wlan2 (not in the config) failed or hung: $(cat "$VM_WORK/scan-unlisted.txt")"
nb="$(grep -c '^BSS ' "$VM_WORK/scan-unlisted.txt")"
assert_eq "$nb" 0 "BSSs wlan2 (not in the config) finds"

t_kill="$(cut -d' ' -f1 /proc/uptime)"
kill -TERM "$WMD"
wait_for 3 dmesg_has 'switching to perfect channel medium'
t_back="$(dmesg | sed -n 's/^\[ *\([0-9.]*\)\].*switching to perfect channel medium.*/\1/p' | tail -1)"
wait "$WMD"
rc=$?
assert_eq "$rc" 0 "wmediumd exit code on SIGTERM"
d="$(awk "BEGIN { printf \"%.3f\", $t_back - $t_kill }")"
log "kernel medium back ${d}s after SIGTERM"
vm_metric wmd_sigterm_revert "$d" s
awk "BEGIN { exit !($d <= 1) }" || fail "the kernel reverted ${d}s after SIGTERM, want <= 1 s"
in_ns ns1 wpa_cli -p /run/wpa_supplicant -i wlan1 disconnect >/dev/null
in_ns ns1 wpa_cli -p /run/wpa_supplicant -i wlan1 reconnect >/dev/null
wait_wpa_completed 10 ns1 wlan1
ping_ok ns1 10.0.0.1 3
log "the pair reconnects on the in-kernel medium"

# two APs on different channels
cat >"$VM_WORK/four.cfg" <<CFG
ifaces : { ids = ["$A0", "$A1", "$A2", "$A3"]; };
CFG
start_wmd four "$VM_WORK/four.cfg"
start_hostapd ns2 wlan2 wmd11 11
for f in 2412 2462; do
	in_ns ns3 timeout 30 iw dev wlan3 scan freq $f flush >"$VM_WORK/scan-$f.txt" 2>&1 || fail "scan $f: $(cat "$VM_WORK/scan-$f.txt")"
	grep '^BSS \|SSID:\|freq:' "$VM_WORK/scan-$f.txt"
	assert_eq "$(grep -c '^BSS ' "$VM_WORK/scan-$f.txt")" 1 "BSSs found by a scan on $f MHz"
done
grep -q "SSID: wmd$" "$VM_WORK/scan-2412.txt" || fail "the 2412 MHz scan does not show the channel-1 AP"
grep -q "SSID: wmd11" "$VM_WORK/scan-2462.txt" || fail "the 2462 MHz scan does not show the channel-11 AP"
kill -INT "$WMD"
wait "$WMD" || fail "wmediumd exit code on SIGINT: $?"

# the lab's attach mode with the same model
vmedium run --backend hwsim --attach --wmediumd-config "$VM_WORK/snr.cfg" --state-dir /run/vmedium-wmd \
	>"$VM_WORK/run.out" 2>"$VM_WORK/run.log" &
RUN=$!
wait_for 30 grep -q '^vmedium is running' "$VM_WORK/run.out"
vmctl links | tee "$VM_WORK/links-run.txt"
grep -E "^wlan0 +wlan1 +-61 dBm +model " "$VM_WORK/links-run.txt" >/dev/null || fail "run --attach --wmediumd-config: wlan0 -> wlan1 not from the model"
grep -E "^wlan0 +wlan3 +-91 dBm +model .*no \(out of range\)" "$VM_WORK/links-run.txt" >/dev/null || fail "run --attach --wmediumd-config: wlan3 (not in the config) hears wlan0"
in_ns ns1 wpa_cli -p /run/wpa_supplicant -i wlan1 reassociate >/dev/null
wait_wpa_completed 10 ns1 wlan1
ping_ok ns1 10.0.0.1 3
kill "$RUN"
wait "$RUN" || fail "vmedium run exited $? on SIGTERM"
log "vmedium run --attach --wmediumd-config serves the config's links"
check_dmesg
log "wmediumd-drop passed"
