#!/bin/sh
# SPDX-License-Identifier: MIT
# wmediumd-models: the wmediumd drop-in's link models on three radios.
#   prob, one pair at 1.0 (IBSS, fixed BSSID): that pair exchanges no unicast
#   (ping) and no group frame (beacons: neither lists the other as a peer)
#   either way; the other pairs are perfect (0 % loss)
#   default_prob = 1.0 with one listed pair: the unlisted pairs are isolated
#   path_loss with positions and tx powers: `iw` shows the formula's signal
#   (±1 dB); a position update over the -s socket (vmctl wserver pos) changes
#   it within a second; -p writes a pcapng the host decodes
#   an open 802.11s mesh of three radios in a line, on mesh interfaces added
#   after the radios (and after wmediumd) were created, whose addresses are
#   the config's ids: the ends reach each other only through the middle
#   (`iw mpath dump` next hop)
#   a -x table that loses every attempt above 1 Mb/s, with fading and
#   enable_interference on: the kernel's rate control hands its chain over,
#   each attempt is judged at its own rate, and `iw` shows wlan1 receiving
#   wlan0's frames at 1 Mb/s (one PER for every attempt would let them
#   arrive at 54 Mb/s)
# vm-timeout: 300
. /vm/lib.sh

mkdir -p "$VM_WORK/bin"
ln -s /usr/local/bin/vmedium "$VM_WORK/bin/wmediumd"
PATH="$VM_WORK/bin:$PATH"
export PATH

hwsim_load 3
addr() { cat /sys/class/net/wlan$1/address; }
A0="$(addr 0)" A1="$(addr 1)" A2="$(addr 2)"
ns_add ns0 ns1 ns2
for i in 0 1 2; do
	phy_to_ns "$(phy_of wlan$i)" ns$i
	in_ns ns$i iw dev wlan$i set type ibss
	in_ns ns$i ip addr add 10.0.0.$((i + 1))/24 dev wlan$i
	in_ns ns$i ip link set wlan$i up
done

start_wmd() { # NAME CONFIG [FLAGS]
	_n="$1" _c="$2"
	shift 2
	wmediumd "$@" -c "$_c" >"$VM_WORK/wmd-$_n.out" 2>"$VM_WORK/wmd-$_n.log" &
	WMD=$!
	wait_for 20 grep -q 'REGISTER SENT!' "$VM_WORK/wmd-$_n.out"
}
stop_wmd() {
	kill -TERM "$WMD"
	wait "$WMD" || fail "wmediumd exit code on SIGTERM: $?"
}
peers() { in_ns "ns$1" iw dev "wlan$1" station dump | sed -n 's/^Station \([0-9a-f:]*\).*/\1/p'; }

# prob: 0 <-> 2 lost, every other pair perfect
cat >"$VM_WORK/prob.cfg" <<CFG
ifaces : { ids = ["$A0", "$A1", "$A2"]; };
model : {
	type = "prob";
	default_prob = 0.0;
	links = ( (0, 2, 1.0) );
};
CFG
start_wmd prob "$VM_WORK/prob.cfg"
for i in 0 1 2; do
	in_ns ns$i iw dev wlan$i ibss join vibss 2412 fixed-freq 02:11:22:33:44:55 || fail "ibss join wlan$i"
done
_joined() { in_ns ns1 iw dev wlan1 station dump | grep -q "$A0" && in_ns ns1 iw dev wlan1 station dump | grep -q "$A2"; }
wait_for 20 _joined
ping_ok ns0 10.0.0.2 20
ping_ok ns1 10.0.0.3 20
ping_ok ns2 10.0.0.2 20
assert_eq "$(ping_loss ns0 10.0.0.3 5)" 100 "ping loss wlan0 -> wlan2 (prob 1.0)"
assert_eq "$(ping_loss ns2 10.0.0.1 5)" 100 "ping loss wlan2 -> wlan0 (prob 1.0)"
p0="$(peers 0)" p2="$(peers 2)"
echo "wlan0 peers: $p0; wlan2 peers: $p2"
assert_contains "$p0" "$A1" "wlan0 hears wlan1"
case "$p0" in *"$A2"*) fail "wlan0 lists wlan2 as a peer: a group frame passed the 1.0 pair" ;; esac
case "$p2" in *"$A0"*) fail "wlan2 lists wlan0 as a peer: a group frame passed the 1.0 pair" ;; esac
vmctl links | tee "$VM_WORK/links-prob.txt"
grep -E "^wlan0 +wlan2 +-61 dBm +model +1 " "$VM_WORK/links-prob.txt" >/dev/null || fail "vmctl links: wlan0 -> wlan2 not at loss 1"
grep -E "^wlan2 +wlan0 +-61 dBm +model +1 " "$VM_WORK/links-prob.txt" >/dev/null || fail "vmctl links: the 1.0 pair is not mirrored"
log "prob: the 1.0 pair hears nothing either way, the others are perfect"
stop_wmd

# default_prob 1.0: only the listed pair passes
cat >"$VM_WORK/default.cfg" <<CFG
ifaces : { ids = ["$A0", "$A1", "$A2"]; };
model : { type = "prob"; default_prob = 1.0; links = ( (0, 1, 0.0) ); };
CFG
start_wmd default "$VM_WORK/default.cfg"
ping_ok ns0 10.0.0.2 10
ping_ok ns1 10.0.0.1 10
assert_eq "$(ping_loss ns2 10.0.0.2 5)" 100 "ping loss wlan2 -> wlan1 (default_prob 1.0)"
assert_eq "$(ping_loss ns1 10.0.0.3 5)" 100 "ping loss wlan1 -> wlan2 (default_prob 1.0)"
log "default_prob 1.0 isolates the unlisted pairs"
stop_wmd

# path_loss, and a position update over -s
cat >"$VM_WORK/pl.cfg" <<CFG
ifaces : { ids = ["$A0", "$A1", "$A2"]; };
model : {
	type = "path_loss";
	positions = ( (0.0, 0.0), (10.0, 0.0), (30.0, 0.0) );
	tx_powers = ( 20.0, 20.0, 20.0 );
	model_name = "log_distance";
	path_loss_exp = 3.0;
	xg = 0.0;
};
CFG
start_wmd pl "$VM_WORK/pl.cfg" -s -p "$VM_WORK/wmd.pcapng"
# the formula, 20 dBm − (20·log10(4π·2.412e9/c) + 30·log10(d)), worked out on
# the host (busybox awk has no math): 40.095 dB at 1 m
sig() { in_ns ns1 iw dev wlan1 station get "$A0" 2>/dev/null | sed -n 's/^[[:space:]]*signal:[[:space:]]*\(-*[0-9]*\).*/\1/p' | head -1; }
near() { s="$(sig)"; [ -n "$s" ] && awk -v s="$s" -v w="$1" 'BEGIN { exit !(s - w <= 1 && w - s <= 1) }'; }
in_ns ns0 ping -q -c 400 -i 0.05 10.0.0.2 >/dev/null 2>&1 &
PING=$!
w10=-50.1
wait_for 5 near "$w10"
log "path_loss: wlan1 hears wlan0 at $(sig) dBm, formula $w10 dBm"
vm_metric wmd_pathloss_signal_10m "$(sig)" dBm
w100=-80.1
vmctl wserver pos "$A0" -90 0 0 || fail "vmctl wserver pos"
# from the server's answer (vmctl's own start-up under TCG is not the medium's)
t0="$(cut -d' ' -f1 /proc/uptime)"
wait_for 3 near "$w100"
d="$(awk "BEGIN { printf \"%.2f\", $(cut -d' ' -f1 /proc/uptime) - $t0 }")"
log "after POS_UPDATE to 100 m: $(sig) dBm (formula $w100) after ${d}s"
vm_metric wmd_pos_update_effect "$d" s
awk "BEGIN { exit !($d <= 1) }" || fail "the position update took ${d}s to show, want <= 1 s"
kill "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
vmctl links | grep -E "^wlan0 +wlan1 " || true
stop_wmd
vm_export_file "$VM_WORK/wmd.pcapng"

# -x per attempt rate, fading and interference on (the per-frame judge)
cat >"$VM_WORK/judged.cfg" <<CFG
ifaces : { ids = ["$A0", "$A1", "$A2"]; enable_interference = true; links = ( (0, 1, 20) ); };
model : { type = "snr"; fading_coefficient = 1; };
CFG
# SNR 20 (−71 dBm) ± fading: rows −80..−60, only 1 Mb/s (column 0) gets through
: >"$VM_WORK/per_table_testax"
s=-80
while [ "$s" -le -60 ]; do
	echo "$s 0 1 1 1 1 1 1 1 1 1 1 1" >>"$VM_WORK/per_table_testax"
	s=$((s + 1))
done
start_wmd judged "$VM_WORK/judged.cfg" -x "$VM_WORK/per_table_test"
grep -q "Input packet error rate file: $VM_WORK/per_table_testax" "$VM_WORK/wmd-judged.out" || fail "-x FILE+ax not read"
# wlan1 reports the rate each frame arrived at: the stage that got it
# through, always 1 Mb/s here (minstrel still tries faster rates first,
# so wlan0's tx bitrate flickers; with one PER for every attempt the
# frames would arrive at 54 Mb/s)
rxrate() { in_ns ns1 iw dev wlan1 station get "$A0" | sed -n 's/^[[:space:]]*rx bitrate:[[:space:]]*\([0-9.]*\).*/\1/p' | head -1; }
in_ns ns0 ping -q -c 300 -i 0.02 10.0.0.2 >/dev/null 2>&1 &
PING=$!
sleep 2
for k in 1 2 3 4 5; do
	sleep 1
	assert_eq "$(rxrate)" 1.0 "wlan1's rx bitrate from wlan0 (reading $k)"
done
kill "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
log "-x per attempt rate: wlan1 receives wlan0 at $(rxrate) MBit/s"
vm_metric wmd_x_table_rx_bitrate "$(rxrate)" Mbit/s
ping_ok ns0 10.0.0.2 5
stop_wmd

# mesh in a line on interfaces added later
for i in 0 1 2; do
	in_ns ns$i iw dev wlan$i ibss leave
	in_ns ns$i ip link set wlan$i down
done
M0=02:00:00:aa:00:00 M1=02:00:00:aa:00:01 M2=02:00:00:aa:00:02
cat >"$VM_WORK/mesh.cfg" <<CFG
ifaces : {
	ids = ["$M0", "$M1", "$M2"];
	links = ( (0, 1, 30), (1, 2, 30), (0, 2, -10) );
};
CFG
start_wmd mesh "$VM_WORK/mesh.cfg"
for i in 0 1 2; do
	phy="$(in_ns ns$i cat /sys/class/net/wlan$i/phy80211/name)"
	in_ns ns$i iw phy "$phy" interface add mesh$i type mp || fail "add mesh$i"
	in_ns ns$i ip link set mesh$i address 02:00:00:aa:00:0$i
	in_ns ns$i ip addr add 10.0.1.$((i + 1))/24 dev mesh$i
	in_ns ns$i ip link set mesh$i up
	in_ns ns$i iw dev mesh$i mesh join vmesh freq 2412 NOHT || fail "mesh join mesh$i"
done
_p1() { in_ns ns1 iw dev mesh1 station dump | grep -q "$M0" && in_ns ns1 iw dev mesh1 station dump | grep -q "$M2"; }
wait_for 30 _p1
_reach() { in_ns ns0 ping -q -c 1 -W 1 10.0.1.3 >/dev/null 2>&1; }
wait_for 30 _reach
ping_ok ns0 10.0.1.3 5
ping_ok ns2 10.0.1.1 5
in_ns ns0 iw dev mesh0 mpath dump | tee "$VM_WORK/mpath0.txt"
grep -q "^$M2 $M1 " "$VM_WORK/mpath0.txt" || fail "mesh0's path to mesh2 does not go through mesh1"
case "$(in_ns ns0 iw dev mesh0 station dump)" in *"$M2"*) fail "mesh0 peers directly with mesh2" ;; esac
log "mesh: ends reach each other through the middle"
stop_wmd
check_dmesg
log "wmediumd-models passed"
